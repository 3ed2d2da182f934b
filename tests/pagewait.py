"""Wait for a condition inside a page that runs under Lobby's Content-Security-Policy.

Playwright's `page.wait_for_function` evaluates its predicate with the page's `eval()`, which
`script-src 'self'` (no 'unsafe-eval') refuses. `page.evaluate` compiles a function through the
DevTools protocol, which CSP does not govern; so the wait runs as a promise inside the page,
checking the predicate on every animation frame (or 50 ms tick) until it is truthy.
"""

from __future__ import annotations

from typing import Any

_WAIT = """async ([timeout, arg, source]) => {
  const deadline = performance.now() + timeout;
  for (;;) {
    let value = (PREDICATE);
    if (typeof value === "function") value = await value(arg);
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${source}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}"""


def wait_for_js(page: Any, predicate: str, arg: Any = None, *, timeout: float = 10_000) -> Any:
    """Like `page.wait_for_function(predicate, arg=arg)`: an expression or a function source."""
    return page.evaluate(_WAIT.replace("PREDICATE", predicate), [timeout, arg, predicate])
