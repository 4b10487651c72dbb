/** PostgreSQL's unique_violation: a row with the same key exists. */
export const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === '23505';
