// Reads the open instance in full (its rows, diagnosis and plan) from the doctor: the list keeps rows only.
// Read again whenever its row changes (a repair, an undo), as the session drops the full view then.
import { useEffect } from 'react';
import type { DoctorApi } from '../../doctor/types.js';
import { type DoctorSession, errorMessage } from './useDoctorSession.js';

export function useDetail(api: DoctorApi, uuid: string | null, doctor: DoctorSession): void {
  const have = uuid !== null && doctor.session.details.has(uuid);
  const { dispatch } = doctor;
  useEffect(() => {
    if (uuid === null || have) return;
    let live = true;
    api.detail(uuid).then(
      (view) => {
        if (live) dispatch({ type: 'detail', view });
      },
      (error: unknown) => {
        if (!live) return;
        dispatch({
          type: 'failure',
          where: `reading ${uuid}`,
          message: errorMessage(error),
          hint: null,
          at: Date.now(),
        });
      },
    );
    return () => {
      live = false;
    };
  }, [api, uuid, have, dispatch]);
}
