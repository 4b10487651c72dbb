import { Outlet } from 'react-router';
import { MembershipsProvider } from './memberships';

/** Every console screen sits in this frame: the person's memberships are loaded once for all of them. */
export default function ConsoleFrame() {
  return (
    <MembershipsProvider>
      <Outlet />
    </MembershipsProvider>
  );
}
