/** How the operator told us to reach nova's databases. */
export interface DbOptions {
  /** nova.conf files, read in order like oslo's --config-file (later ones win). */
  configFiles: string[];
  configDirs: string[];
  /** SQLAlchemy URL of nova_api; overrides the config. */
  apiDbUrl: string | null;
  /**
   * Where apiDbUrl came from, for messages: `--api-db` (the default) or `NOVA_DOCTOR_API_DB` (the environment, used
   * only when no --config, --config-dir or --api-db was given). openNova says so when it is not `--api-db`.
   */
  apiDbSource?: string;
  /** SQLAlchemy URL(s) of cell databases; when given, used instead of cell_mappings' URLs for matching cells. */
  cellDbUrls: string[];
}

/** A cell as found in nova_api.cell_mappings, with whether we could reach it. */
export interface CellStatus {
  uuid: string;
  name: string | null;
  /** Database URL with the password masked; never the real one. */
  maskedUrl: string;
  disabled: boolean;
  isCell0: boolean;
  reachable: boolean;
  error: string | null;
}
