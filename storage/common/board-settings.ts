import {
  BANNER_FILE,
  type BoardSettings,
  DEFAULT_BOARD_SETTINGS,
  isCaptchaMode,
  MEDIA_TYPES,
  type MediaType,
} from "../../server/domain/board.js";
import { DomainError } from "../../server/domain/errors.js";

/** The only keys a stored settings object may hold: a patch can never add a field of its own choosing. */
const SETTING_KEYS = Object.keys(DEFAULT_BOARD_SETTINGS) as (keyof BoardSettings)[];

function checkedValue(key: keyof BoardSettings, value: unknown): BoardSettings[keyof BoardSettings] {
  const fallback = DEFAULT_BOARD_SETTINGS[key];
  if (key === "allowedTypes") {
    if (!Array.isArray(value) || !value.every((t) => (MEDIA_TYPES as readonly unknown[]).includes(t))) {
      throw new DomainError("invalid", `Board setting "${key}" must be a list of image and video types.`);
    }
    return [...new Set(value as MediaType[])];
  }
  if (key === "banner" && value !== "" && !(typeof value === "string" && BANNER_FILE.test(value))) {
    throw new DomainError("invalid", `Board setting "${key}" must name a stored banner, or be empty.`);
  }
  if (key === "captchaMode" && !isCaptchaMode(value)) {
    throw new DomainError("invalid", `Board setting "${key}" must be default, off, threads or all.`);
  }
  if (typeof fallback === "number") {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new DomainError("invalid", `Board setting "${key}" must be a number.`);
    }
    return value;
  }
  if (typeof value !== typeof fallback) {
    throw new DomainError("invalid", `Board setting "${key}" must be a ${typeof fallback}.`);
  }
  return value as BoardSettings[keyof BoardSettings];
}

/**
 * Applies the known keys of `patch` onto `base` with type checks. Unknown keys are dropped, so a
 * patch never decides a stored field name (which matters for document databases).
 */
export function applySettingsPatch(
  base: Readonly<BoardSettings>,
  patch: Partial<BoardSettings> | undefined,
): BoardSettings {
  const next = { ...base, allowedTypes: [...base.allowedTypes] } as Record<keyof BoardSettings, unknown>;
  if (patch === undefined || patch === null) return next as unknown as BoardSettings;
  if (typeof patch !== "object") throw new DomainError("invalid", "Board settings must be an object.");
  for (const key of SETTING_KEYS) {
    if (!Object.hasOwn(patch, key)) continue;
    const value = patch[key];
    if (value === undefined) continue;
    next[key] = checkedValue(key, value);
  }
  return next as unknown as BoardSettings;
}

/**
 * Only the known, present keys of `patch`, each checked: what a document store may `$set` under
 * `settings.<key>` (the key always comes from the known list, never from the patch).
 */
export function checkedSettingsPatch(patch: Partial<BoardSettings> | undefined): Partial<BoardSettings> {
  if (patch === undefined || patch === null) return {};
  if (typeof patch !== "object") throw new DomainError("invalid", "Board settings must be an object.");
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    if (!Object.hasOwn(patch, key) || patch[key] === undefined) continue;
    out[key] = checkedValue(key, patch[key]);
  }
  return out as Partial<BoardSettings>;
}

/**
 * Settings as read back from storage: defaults fill keys added after the board was stored, and a
 * value of the wrong type (left by an older version) falls back to its default key by key.
 */
export function settingsFromStorage(stored: unknown): BoardSettings {
  const out = applySettingsPatch(DEFAULT_BOARD_SETTINGS, undefined) as unknown as Record<keyof BoardSettings, unknown>;
  if (stored === null || typeof stored !== "object") return out as unknown as BoardSettings;
  const record = stored as Record<string, unknown>;
  for (const key of SETTING_KEYS) {
    if (!Object.hasOwn(record, key)) continue;
    try {
      out[key] = checkedValue(key, record[key]);
    } catch {
      // the default stays
    }
  }
  return out as unknown as BoardSettings;
}
