"""Plan: a request becomes the run's items (``plan.plan_run``), one module per job.

``request`` checks the request and settles its settings; ``sources`` resolves what it
names; ``items`` numbers them and gives output keys; ``done`` finds items that end at
Plan; ``context`` makes the run's id and context.
"""

from lambdas.planning.context import new_run_id, run_context
from lambdas.planning.plan import plan_run
from lambdas.planning.request import check_model_runs_on_engine

__all__ = ["check_model_runs_on_engine", "new_run_id", "plan_run", "run_context"]
