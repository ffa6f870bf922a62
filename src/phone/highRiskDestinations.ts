/**
 * Countries known for international revenue-share fraud (IRSF): number
 * ranges there are sold to fraudsters who share the termination fee, so
 * pumping calls to them pays. A dialling policy refuses them all with
 * `refuseHighRiskDestinations: true`.
 *
 * The list is the union of what carriers and fraud analysts publish by
 * country (last reviewed November 2026):
 *
 * - Electric Lightwave (formerly Integra), "International Calling Options":
 *   countries blocked by default for toll fraud —
 *   https://support.electriclightwave.com/knowledge-base/international-calling-options/
 *   (its "Congo" is read as the Republic of the Congo, CG).
 * - TransNexus, "Carriers Block International Calls to Stop Traffic Pumping
 *   Fraud" (2014): Cox Communications' default block-list —
 *   https://www.transnexus.com/blog/2014/carriers-block-international-calls-to-stop-traffic-pumping-fraud/
 * - Commsrisk, "New IRSF Data Shows There Are No 'Low Risk' Destinations Any
 *   More": Cuba and Latvia top the lists, Slovenia rising —
 *   https://commsrisk.com/new-irsf-data-shows-there-are-no-low-risk-destinations-any-more/
 *
 * Providers keep finer lists of their own: Twilio's "high-risk toll fraud"
 * prefixes are narrow number ranges, updated often and not published
 * (https://www.twilio.com/docs/voice/api/dialingpermissions-country-resource).
 * This list does not replace them: keep the provider's geographic
 * permissions on as well. docs/phone-numbers.md says how to maintain it.
 *
 * @module
 */

/**
 * ISO 3166-1 alpha-2 codes of the countries the high-risk destinations
 * preset refuses, in alphabetical order.
 *
 * @example
 * ```ts
 * createNumberCheck({ refuseHighRiskDestinations: true }); // refuses all of them
 * // The same, less a country you serve, as a block-list of your own:
 * createNumberCheck({ blockedCountries: HIGH_RISK_DESTINATIONS.filter((country) => country !== 'LV') });
 * ```
 */
export const HIGH_RISK_DESTINATIONS: readonly string[] = Object.freeze([
  'AZ', // Azerbaijan: Electric Lightwave, Cox
  'CF', // Central African Republic: Cox
  'CG', // Republic of the Congo: Electric Lightwave
  'CI', // Côte d'Ivoire: Electric Lightwave
  'CU', // Cuba: Electric Lightwave, Commsrisk
  'DJ', // Djibouti: Electric Lightwave
  'ER', // Eritrea: Electric Lightwave
  'GM', // Gambia: Cox
  'GN', // Guinea: Electric Lightwave, Cox
  'KP', // North Korea: Electric Lightwave
  'LV', // Latvia: Electric Lightwave, Commsrisk
  'LY', // Libya: Electric Lightwave
  'MC', // Monaco: Electric Lightwave, Cox
  'MK', // North Macedonia: Electric Lightwave
  'MV', // Maldives: Cox
  'SC', // Seychelles: Cox
  'SI', // Slovenia: Electric Lightwave, Commsrisk
  'SL', // Sierra Leone: Electric Lightwave, Cox
  'SN', // Senegal: Electric Lightwave
  'SO', // Somalia: Electric Lightwave, Cox
  'ST', // São Tomé and Príncipe: Electric Lightwave, Cox
  'TV', // Tuvalu: Electric Lightwave
  'ZW', // Zimbabwe: Electric Lightwave
]);
