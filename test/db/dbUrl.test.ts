// SQLAlchemy URL parsing and nova's cell URL templates, against answers computed by SQLAlchemy 1.4 and nova's
// CellMapping._format_url (test/db/fixtures/gen_oracle.py).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCellDbUrl, maskUrl, parseDbUrl, pyUnquote, toMysql2Options } from '../../src/db/dbUrl.js';
import { DbError } from '../../src/db/errors.js';
import oracle from './fixtures/oracle.json' with { type: 'json' };

interface UrlCase {
  url: string;
  error?: string;
  drivername?: string;
  backend?: string;
  username?: string | null;
  password?: string | null;
  host?: string | null;
  port?: number | null;
  database?: string | null;
  query?: Record<string, string | string[]>;
}

describe('parseDbUrl like SQLAlchemy 1.4 make_url', () => {
  for (const c of oracle.urls as UrlCase[]) {
    it(c.url, () => {
      // SQLAlchemy ends the password at the first '@' and makes the rest the host ('ss@db'); masks end it at the last.
      // Where the two differ the URL is refused (src/secrets.ts), never read one way and masked the other.
      if ((c.url.match(/@/g) ?? []).length > 1) {
        expect(() => parseDbUrl(c.url)).toThrow(/where the password ends in .* is ambiguous/);
        return;
      }
      if (c.error) {
        expect(() => parseDbUrl(c.url)).toThrow(DbError);
        return;
      }
      const u = parseDbUrl(c.url);
      expect({
        drivername: u.drivername,
        backend: u.backend,
        username: u.username,
        password: u.password,
        host: u.host,
        port: u.port,
        database: u.database,
        query: u.query,
      }).toEqual({
        drivername: c.drivername,
        backend: c.backend,
        username: c.username,
        password: c.password,
        host: c.host,
        port: c.port,
        database: c.database,
        query: c.query,
      });
    });
  }
});

describe('maskUrl', () => {
  it('never shows a password, whatever characters it holds', () => {
    for (const c of oracle.urls as UrlCase[]) {
      const masked = maskUrl(c.url);
      if (c.password && c.password.length > 2) expect(masked).not.toContain(c.password);
    }
    expect(maskUrl('mysql+pymysql://nova:s3cr#t/x@db:3306/nova_api?charset=utf8')).toBe(
      'mysql+pymysql://nova:***@db:3306/nova_api?charset=utf8',
    );
    // an unencoded '@' ends the password early; the rest still must not show
    expect(maskUrl('mysql+pymysql://nova:p@ss@db/nova_api')).toBe('mysql+pymysql://nova:***@db/nova_api');
    expect(maskUrl('mysql+pymysql://nova:p@ss:w@rd@db/nova_api')).not.toMatch(/ss|rd@/);
    expect(maskUrl('mysql://nova:pw@db/nova?password=topsecret&charset=utf8')).toBe(
      'mysql://nova:***@db/nova?password=***&charset=utf8',
    );
    expect(maskUrl('garbage with secret')).toBe('<unparseable URL>');
  });

  it('property: for any password, the masked URL does not contain it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), (pw) => {
        fc.pre(!/[\s]/.test(pw) && !'mysql+pymysql://nova:***@db/nova_api'.includes(pw));
        const url = `mysql+pymysql://nova:${pw}@db/nova_api`;
        expect(maskUrl(url)).not.toContain(pw);
      }),
      { numRuns: 2000 },
    );
  });

  it('parse errors show only the masked URL', () => {
    expect(() => parseDbUrl('mysql+pymysql://nova:hunter2@db:abc/nova_api')).toThrow(/nova:\*\*\*@db:abc/);
    try {
      parseDbUrl('mysql+pymysql://nova:hunter2@db:abc/nova_api', '[api_database] connection in /etc/nova/nova.conf');
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
      expect((e as Error).message).toContain('[api_database] connection in /etc/nova/nova.conf');
    }
  });
});

describe('toMysql2Options', () => {
  it('maps host, port, socket and credentials the way pymysql reads them', () => {
    expect(
      toMysql2Options(parseDbUrl('mysql+pymysql://nova:p%40ss@db.example:3307/nova_api?charset=utf8')).options,
    ).toMatchObject({
      host: 'db.example',
      port: 3307,
      user: 'nova',
      password: 'p@ss',
      database: 'nova_api',
    });
    const sock = toMysql2Options(
      parseDbUrl('mysql+pymysql://nova:pw@localhost/nova?unix_socket=/run/mysqld/mysqld.sock'),
    ).options;
    expect(sock.socketPath).toBe('/run/mysqld/mysqld.sock');
    expect(sock.host).toBeUndefined();
    expect(toMysql2Options(parseDbUrl('mysql://nova@/nova')).options).toMatchObject({
      host: 'localhost',
      port: 3306,
      password: '',
    });
  });

  it('warns about parameters mysql2 cannot honour and refuses other databases', () => {
    const { warnings } = toMysql2Options(parseDbUrl('mysql://a:b@h/d?read_default_file=/etc/my.cnf'));
    expect(warnings).toEqual([expect.stringContaining("'read_default_file' is ignored")]);
    expect(() => toMysql2Options(parseDbUrl('sqlite:///nova.sqlite'))).toThrow(/not supported/);
    expect(() => toMysql2Options(parseDbUrl('mysql://a:b@h/d?ssl_ca=/nonexistent/ca.pem'))).toThrow(
      /cannot read ssl_ca file/,
    );
  });
});

interface TemplateCase {
  template: string;
  connection: string;
  result: string;
  failed: boolean;
}

describe("formatCellDbUrl like nova's CellMapping.format_db_url", () => {
  for (const c of oracle.templates as TemplateCase[]) {
    it(`${c.template} with ${maskUrl(c.connection)}`, () => {
      const looksLikeTemplate = /\{(scheme|username|password|hostname|port|path|query|fragment)\d*\}/.test(c.template);
      if (c.failed && looksLikeTemplate) {
        // nova would log and hand the template itself to SQLAlchemy; we say why it cannot work instead.
        expect(() => formatCellDbUrl(c.template, c.connection)).toThrow(/cannot be filled/);
      } else {
        expect(formatCellDbUrl(c.template, c.connection)).toBe(c.result);
      }
    });
  }

  it('a template without [database] connection is an error; a plain URL is kept', () => {
    expect(() => formatCellDbUrl('{scheme}://{username}:{password}@{hostname}/nova_cell1', null)).toThrow(
      /\[database\] connection is not set/,
    );
    expect(formatCellDbUrl('mysql://a:b@h/nova_cell1', null)).toBe('mysql://a:b@h/nova_cell1');
  });

  it('errors never contain the password of [database] connection', () => {
    try {
      formatCellDbUrl('{scheme}://{username}:{password}@{hostname}/c', 'mysql://nova:hunter2@db:notaport/nova');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
  });
});

describe('pyUnquote', () => {
  it('decodes UTF-8 runs and keeps invalid escapes', () => {
    expect(pyUnquote('p%C3%A9%zz%41')).toBe('pé%zzA');
    expect(pyUnquote('%FF')).toBe('\uFFFD');
  });
});

describe('maskUrl on cell URL templates', () => {
  it('shows placeholders as they are but still hides a literal password', () => {
    expect(maskUrl('{scheme}://{username}:{password}@{hostname}:{port}/nova_cell1?{query}')).toBe(
      '{scheme}://{username}:{password}@{hostname}:{port}/nova_cell1?{query}',
    );
    expect(maskUrl('{scheme}://nova:hunter2@{hostname}/nova_cell1')).toBe('{scheme}://nova:***@{hostname}/nova_cell1');
  });
});
