import { VaultError } from '../errors.js';

/** One page of an OCI list call as the SDK returns it (`opc-next-page` header as `opcNextPage`). */
export interface ListPage<T> {
  items?: T[] | null;
  opcNextPage?: string | null;
}

/** Most pages one listing may take; a vault that keeps handing out new tokens past this is broken, not big. */
const MAX_PAGES = 10_000;

/**
 * Every item of an OCI list call, page after page: the first request has no `page`, each next one carries the
 * previous answer's `opc-next-page` until an answer has none (OCI API pagination, reference/oci-api.md §2 "Paging").
 * Each page is one call of `fetchPage`, so each goes through the caller's policy (timeout, retry, breaker).
 * @param fetchPage requests one page; `page` is undefined for the first
 * @param what the listing, for messages ("secrets in compartment ocid1…")
 * @throws VaultError kind `network` when the vault repeats a page token (it would loop forever) or exceeds
 *   10 000 pages; whatever `fetchPage` throws
 */
export async function* pages<T>(fetchPage: (page: string | undefined) => Promise<ListPage<T>>, what: string): AsyncGenerator<T> {
  const seen = new Set<string>();
  let page: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const answer = await fetchPage(page);
    for (const item of answer.items ?? []) yield item;
    page = answer.opcNextPage || undefined;
    if (!page) return;
    if (seen.has(page)) {
      throw new VaultError(`the vault repeated a page token while listing ${what}`, {
        kind: 'network',
        hint: 'check vault.endpoint and any proxy in between; retry later',
      });
    }
    seen.add(page);
  }
  throw new VaultError(`the vault returned more than ${MAX_PAGES} pages while listing ${what}`, { kind: 'network' });
}

/**
 * All items of a paged listing in one array (see {@link pages}).
 * @throws what `pages` throws
 */
export async function listAll<T>(fetchPage: (page: string | undefined) => Promise<ListPage<T>>, what: string): Promise<T[]> {
  const out: T[] = [];
  for await (const item of pages(fetchPage, what)) out.push(item);
  return out;
}
