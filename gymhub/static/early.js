// Asks for the first screen's data at once, while the page's other modules are still on their
// way: on a slow phone link (400 ms a round trip) that saves the round trips of a chain of
// requests. api.js takes each answer once, for the same GET, and only at start. No imports: a
// module it waited for would hold these requests back by its own download.

const FIRST = ["/api/me", "/api/notifications?since=0&limit=200", "/api/users"];
const init = { credentials: "same-origin", headers: { Accept: "application/json" } };

// The page may have started without it (this script is async): then it asks for these itself.
globalThis.gymhubEarly ??= new Map(FIRST.map((path) => [path, fetch(path, init).catch(() => null)]));
