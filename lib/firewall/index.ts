/** Live scoring of PAN-OS firewall logs: syslog framing, PAN-OS log layouts, the panos features, the service, replay. */
export * from "./features";
export * from "./metrics";
export * from "./panos";
export * from "./replay";
export * from "./service";
export * from "./syslog";
