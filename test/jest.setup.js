// Cross-part tests start real processes (the sidecar, Prometheus, InfluxDB, Chromium): give them time.
jest.setTimeout(300_000);
