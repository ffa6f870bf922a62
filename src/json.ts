/**
 * Plain JSON, for everything that is stored or sent between processes.
 *
 * @module
 */

/**
 * A JSON value.
 *
 * @example
 * ```ts
 * const state: JsonValue = { calls: [{ token: 'a1', sid: null }] };
 * ```
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
