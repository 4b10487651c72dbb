import { useId, useMemo, useState, type ReactNode } from 'react';
import { useT, type Messages } from '../i18n';
import { toCsv } from './csv';
import { downloadText } from './download';
import './data-table.css';

/** One column: its heading, the value it sorts, filters and exports by, and how a cell shows it. */
export interface Column<T> {
  readonly key: string;
  readonly header: string;
  readonly value: (row: T) => string | number | null;
  /** @default the value as text */
  readonly render?: (row: T) => ReactNode;
  /** Numbers align right and sort as numbers. @default false */
  readonly numeric?: boolean;
}

export interface DataTableProps<T> {
  /** The table's name, read by screen readers and used as the CSV's file name. */
  readonly caption: string;
  readonly columns: readonly Column<T>[];
  readonly rows: readonly T[];
  readonly rowKey: (row: T) => string;
  /** @default 'export' */
  readonly fileName?: string;
  /** Shown instead of an empty table. */
  readonly empty?: string;
}

const messages: Messages<'filter' | 'export' | 'shown' | 'none' | 'sortBy'> = {
  ko: {
    filter: '검색',
    export: 'CSV로 내보내기',
    shown: '{shown} / {total}행',
    none: '표시할 행이 없습니다.',
    sortBy: '{column} 기준으로 정렬',
  },
  en: {
    filter: 'Filter',
    export: 'Export CSV',
    shown: '{shown} of {total} rows',
    none: 'There are no rows to show.',
    sortBy: 'Sort by {column}',
  },
};

type Sort = { readonly key: string; readonly direction: 'ascending' | 'descending' };

/**
 * A table a manager can work with: sort by any column (a button in its heading, `aria-sort` says the order),
 * filter by text across the columns, and export what is shown, in that order, as CSV.
 */
export function DataTable<T>({ caption, columns, rows, rowKey, fileName, empty }: DataTableProps<T>) {
  const t = useT(messages);
  const filterId = useId();
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<Sort | undefined>();
  const shown = useMemo(() => {
    const needle = filter.trim().toLocaleLowerCase();
    const kept = needle
      ? rows.filter((r) =>
          columns.some((c) =>
            String(c.value(r) ?? '')
              .toLocaleLowerCase()
              .includes(needle),
          ),
        )
      : [...rows];
    const column = sort && columns.find((c) => c.key === sort.key);
    if (!sort || !column) return kept;
    return kept.sort((a, b) => compare(column.value(a), column.value(b), sort.direction));
  }, [rows, columns, filter, sort]);
  const exportShown = () =>
    downloadText(
      `${fileName ?? 'export'}.csv`,
      toCsv(
        columns.map((c) => c.header),
        shown.map((r) => columns.map((c) => c.value(r))),
      ),
      'text/csv;charset=utf-8',
    );
  return (
    <div className="data-table">
      <div className="data-table-tools">
        <label htmlFor={filterId}>{t('filter')}</label>
        <input id={filterId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <span className="muted" aria-live="polite">
          {t('shown', { shown: shown.length, total: rows.length })}
        </span>
        <button type="button" onClick={exportShown} disabled={shown.length === 0}>
          {t('export')}
        </button>
      </div>
      {shown.length === 0 ? (
        <p className="muted">{empty ?? t('none')}</p>
      ) : (
        <div className="data-table-scroll">
          <table>
            <caption>{caption}</caption>
            <thead>
              <tr>
                {columns.map((c) => {
                  const direction = sort?.key === c.key ? sort.direction : undefined;
                  return (
                    <th
                      key={c.key}
                      scope="col"
                      aria-sort={direction ?? 'none'}
                      className={c.numeric ? 'num' : undefined}
                    >
                      <button
                        type="button"
                        title={t('sortBy', { column: c.header })}
                        onClick={() =>
                          setSort({
                            key: c.key,
                            direction: direction === 'ascending' ? 'descending' : 'ascending',
                          })
                        }
                      >
                        {c.header}
                        <span aria-hidden="true">
                          {direction === 'ascending' ? ' ▲' : direction === 'descending' ? ' ▼' : ''}
                        </span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={rowKey(r)}>
                  {columns.map((c) => (
                    <td key={c.key} className={c.numeric ? 'num' : undefined}>
                      {c.render ? c.render(r) : (c.value(r) ?? '')}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function compare(a: string | number | null, b: string | number | null, direction: Sort['direction']): number {
  if (a === b) return 0;
  // Empty cells last whichever the order, as a spreadsheet does.
  if (a === null || a === '') return 1;
  if (b === null || b === '') return -1;
  const order =
    typeof a === 'number' && typeof b === 'number'
      ? a - b
      : String(a).localeCompare(String(b), undefined, { numeric: true });
  return direction === 'ascending' ? order : -order;
}
