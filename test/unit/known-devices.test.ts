import { describe, expect, it } from "vitest";
import { KNOWN_DEVICE_TTL_MS, KnownDevices } from "../../server/services/known-devices.js";

describe("known-device tokens", () => {
  const now = Date.UTC(2030, 0, 1);
  const devices = new KnownDevices("k".repeat(64));

  it("recognise the browser they were issued to, for that account, until they expire", () => {
    const token = devices.issue("boss", now);
    expect(devices.recognises(token, "boss", now + 1000)).toBe(true);
    expect(devices.recognises(token, "boss", now + KNOWN_DEVICE_TTL_MS)).toBe(true);
    expect(devices.recognises(token, "boss", now + KNOWN_DEVICE_TTL_MS + 1)).toBe(false);
    expect(devices.recognises(token, "vol", now)).toBe(false);
  });

  it("cannot be made without the key, altered or dated in the future", () => {
    const token = devices.issue("boss", now);
    expect(new KnownDevices("x".repeat(64)).recognises(token, "boss", now)).toBe(false);
    const [issued = "", mac = ""] = token.split(".");
    expect(devices.recognises(`${(now - 1000).toString(36)}.${mac}`, "boss", now)).toBe(false);
    const altered = `${issued}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`;
    expect(devices.recognises(altered, "boss", now)).toBe(false);
    expect(devices.recognises(devices.issue("boss", now + 5000), "boss", now)).toBe(false);
    for (const junk of [undefined, "", ".", "x".repeat(200), `${issued}.`, token.toUpperCase()]) {
      expect(devices.recognises(junk, "boss", now)).toBe(false);
    }
  });
});
