// Cursor pagination: every item of every page, fetched one page at a time
// as the caller iterates, so that a loop that breaks early fetches no more.

/**
 * @param {(cursor: string | undefined) => Promise<object>} fetchPage
 * @param {string} field the page's array, e.g. "keys"
 */
export async function* everyItem(fetchPage, field) {
  let cursor;
  do {
    const page = await fetchPage(cursor);
    yield* page[field];
    cursor = page.next_cursor;
  } while (cursor);
}
