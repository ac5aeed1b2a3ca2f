"""Watching a browser page for content-policy violations (issue 11, item 4).

`watch(context, page)` listens before any of the page's own scripts run (an init script for
the `securitypolicyviolation` event) and on the console; `policy_problems(page, answer)` says,
for the page in view, what the policy refused since the last call, which inline event handlers
the markup carries (refused only once their event fires, so looked for), and whether the
response had a policy at all.
"""

from __future__ import annotations

from typing import Any

LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} refused ${e.blockedURI || 'inline'}`
    + ` (${e.sourceFile || 'page'}:${e.lineNumber}) ${e.sample || ''}`);
}, true);
"""

INLINE_HANDLERS = """() => [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes]
  .filter((a) => a.name.startsWith('on')).map((a) => `${el.tagName.toLowerCase()} ${a.name}`))"""


def watch(context: Any, page: Any) -> None:
    """Record the policy violations of every document `page` loads in `context`."""
    context.add_init_script(LISTEN)
    page.console_violations = []
    page.on(
        "console",
        lambda message: (
            page.console_violations.append(message.text[:240])
            if "Content Security Policy" in message.text
            else None
        ),
    )


def violations(page: Any) -> list[str]:
    """The policy violations since the last call, each once."""
    found = page.evaluate("() => window.__cspViolations || []") + page.console_violations
    page.console_violations.clear()
    page.evaluate("() => { window.__cspViolations = []; }")
    return sorted(set(found))


def policy_problems(page: Any, answer: Any) -> list[str]:
    """Violations, inline handlers, and a missing policy on the page `answer` loaded."""
    found = violations(page) + [f"inline handler {h}" for h in page.evaluate(INLINE_HANDLERS)]
    if "script-src 'self'" not in (answer.headers.get("content-security-policy", "") if answer else ""):
        found.append("no content policy with script-src 'self'")
    return found
