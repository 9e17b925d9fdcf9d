"""List prices (us-east-1, 2026-11) and what one image costs on the deployed stack.

Kept in one place so ``bgremove estimate`` and the README agree. Lambda memory comes
from ``workflow.config.MEMORY_MB``, the sizes the stack deploys.
"""

from __future__ import annotations

from lambdas.models.catalog import CATALOG
from workflow.config import MEMORY_MB

#: The region whose list prices these are.
PRICE_REGION = "us-east-1"
LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1_000_000
STEP_FUNCTIONS_TRANSITION = 0.025 / 1000  # Standard workflows
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000

#: Typical seconds per image for each per-item step (a 12 MP JPEG; the model step waits on Bedrock).
SECONDS_PER_IMAGE = {
    "validate": 0.4,
    "resize": 0.8,
    "remove_background": 6.0,
    "store": 2.0,
    "record_failure": 0.0,
}
#: Transitions one image costs: the child execution's start, four tasks, the end state.
TRANSITIONS_PER_IMAGE = 7
#: S3 requests one image costs: GETs (validate, resize, model input, store x2) and PUTs.
GETS_PER_IMAGE, PUTS_PER_IMAGE = 6, 6


def estimate_costs(images: int, model: str) -> list[tuple[str, float, float]]:
    """Rows of (component, cost of ``images``, cost per 1,000 images) and a total row.

    Raises
    ------
    KeyError
        For an unknown model.
    """
    per_image = {
        "Bedrock model": CATALOG[model].price_per_image,
        "Lambda": sum(
            MEMORY_MB[step] / 1024 * seconds * LAMBDA_ARM_GB_SECOND + LAMBDA_REQUEST
            for step, seconds in SECONDS_PER_IMAGE.items()
            if seconds
        ),
        "Step Functions": TRANSITIONS_PER_IMAGE * STEP_FUNCTIONS_TRANSITION,
        "S3 requests": GETS_PER_IMAGE * S3_GET + PUTS_PER_IMAGE * S3_PUT,
    }
    rows = [(name, cost * images, cost * 1000) for name, cost in per_image.items()]
    total = sum(per_image.values())
    rows.append(("total", total * images, total * 1000))
    return rows
