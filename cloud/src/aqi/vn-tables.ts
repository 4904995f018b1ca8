/**
 * The tables of Quyết định 1459/QĐ-TCMT (12/11/2019), exactly as in ../shared/domain/AIR-QUALITY.md
 * (Bảng 1: categories and colours; Bảng 2: breakpoints). Every concentration is in µg/m³, CO included.
 * Do not replace these with a table from elsewhere: most published ones carry EPA-style gaps.
 */

/** A column of Bảng 2. `o3_1h`/`o3_8h` are the ozone 1-hour and 8-hour columns. */
export type VnPollutant = 'pm25' | 'pm10' | 'co' | 'so2' | 'no2' | 'o3_1h' | 'o3_8h';

/** The I column of Bảng 2: the AQI at each breakpoint. Adjacent bands share their I (the scale is continuous). */
export const VN_I = [0, 50, 100, 150, 200, 300, 400, 500] as const;

/**
 * Bảng 2, one row per pollutant, BP_i in µg/m³ for I = VN_I[i]. O3 8h stops at 400 µg/m³ (I = 300): above that the
 * 8-hour column does not apply (the daily rule then uses the 1-hour column only).
 */
export const VN_BREAKPOINTS: Readonly<Record<VnPollutant, readonly number[]>> = Object.freeze({
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 120, 170, 210, 400],
  co: [0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000],
  so2: [0, 125, 350, 550, 800, 1600, 2100, 2630],
  no2: [0, 100, 200, 700, 1200, 2350, 3100, 3850],
  pm10: [0, 50, 150, 250, 350, 420, 500, 600],
  pm25: [0, 25, 50, 80, 150, 250, 350, 500],
});

/** Stable key of a VN_AQI category (for APIs, CSS classes, translations). */
export type CategoryKey = 'good' | 'moderate' | 'poor' | 'bad' | 'very_bad' | 'hazardous';

/** One row of Bảng 1. */
export interface Category {
  /** 1 (Tốt) … 6 (Nguy hại). */
  readonly level: 1 | 2 | 3 | 4 | 5 | 6;
  readonly key: CategoryKey;
  /** Official Vietnamese name, e.g. `Trung bình`. */
  readonly vi: string;
  /** English name, e.g. `Moderate`. */
  readonly en: string;
  /** Official colour, 0–255 each. */
  readonly rgb: readonly [number, number, number];
  /** The same colour as `#rrggbb` (lowercase). */
  readonly hex: string;
  /** Lowest integer AQI of the category (inclusive). */
  readonly min: number;
  /** Highest integer AQI of the category (inclusive). */
  readonly max: number;
}

function category(
  level: Category['level'],
  key: CategoryKey,
  vi: string,
  en: string,
  rgb: [number, number, number],
  min: number,
  max: number,
): Category {
  const hex = `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  return Object.freeze({ level, key, vi, en, rgb: Object.freeze(rgb), hex, min, max });
}

/** Bảng 1, in order of level. */
export const VN_CATEGORIES: readonly Category[] = Object.freeze([
  category(1, 'good', 'Tốt', 'Good', [0, 228, 0], 0, 50),
  category(2, 'moderate', 'Trung bình', 'Moderate', [255, 255, 0], 51, 100),
  category(3, 'poor', 'Kém', 'Poor', [255, 126, 0], 101, 150),
  category(4, 'bad', 'Xấu', 'Bad', [255, 0, 0], 151, 200),
  category(5, 'very_bad', 'Rất xấu', 'Very bad', [143, 63, 151], 201, 300),
  category(6, 'hazardous', 'Nguy hại', 'Hazardous', [126, 0, 35], 301, 500),
]);
