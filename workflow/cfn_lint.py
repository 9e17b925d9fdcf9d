"""cfn-lint on the synthesized template, with every acknowledged rule and its reason in one place.

``python -m workflow.cfn_lint TEMPLATE`` runs cfn-lint with only the rules below
switched off, prints what it finds and exits non-zero on any error *or warning*.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Rule id → why the finding is acceptable (like ``workflow/nag.py`` for cdk-nag).
ACKNOWLEDGED = {
    "W3005": (
        "CDK itself adds DependsOn on a Lambda's or state machine's role next to the GetAtt "
        "that already orders them (so the role's default policy exists first); redundant, "
        "harmless, and not ours to remove."
    ),
}


def command(template: Path | str, cfn_lint: str | None = None) -> list[str]:
    """The cfn-lint command line for ``template``."""
    executable = cfn_lint or str(Path(sys.executable).parent / "cfn-lint")
    return [executable, "--ignore-checks", *ACKNOWLEDGED, "--", str(template)]


def lint(template: Path | str) -> subprocess.CompletedProcess:
    """Run cfn-lint on ``template``; exit code 0 means no error and no warning."""
    return subprocess.run(command(template), capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m workflow.cfn_lint TEMPLATE", file=sys.stderr)
        return 2
    done = lint(args[0])
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode == 0:
        print(f"cfn-lint: no errors, no warnings ({len(ACKNOWLEDGED)} rule(s) acknowledged)")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
