/** The SDK's version, sent with every batch. */
export const version = "0.1.0";

/** The SDK's name on the wire. */
export const sdkName = "vantage-roblox";
