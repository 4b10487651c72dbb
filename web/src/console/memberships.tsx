import { createContext, useContext, type ReactNode } from 'react';
import { useApi } from '../api/api-context';
import type { paths } from '../api/schema';
import { useLoad, type Loaded } from '../ui/use-load';

export type Memberships = paths['/me/memberships']['get']['responses'][200]['content']['application/json'];

const MembershipsContext = createContext<Loaded<Memberships> & { reload: () => void }>({
  status: 'loading',
  reload: () => undefined,
});

/** The signed-in person's institution and companies, loaded once for every console screen. */
export function MembershipsProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const memberships = useLoad(() => api.GET('/me/memberships'), [api]);
  return <MembershipsContext.Provider value={memberships}>{children}</MembershipsContext.Provider>;
}

export const useMemberships = () => useContext(MembershipsContext);

/** The companies the person manages (approved), which the company screens act for. */
export const managedCompanies = (m: Memberships) =>
  m.companies.filter((c) => c.role === 'company-manager' && c.state === 'approved');
