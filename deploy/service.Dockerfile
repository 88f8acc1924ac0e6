# One image for every Tideover service; docker-compose.yml picks the service with
#   command: ["python", "-m", "<package>"]
# where <package> is overdue_detection, notification, negotiation_intake, plan_calculation,
# repayment_tracking or scheduler. The same image runs the one-shot `tideover-topics --probe` job
# and the operators' commands (tideover-service-keys, tideover-clock).
# Build from the repository root:  docker build -f deploy/service.Dockerfile .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TIDEOVER_HTTP_HOST=0.0.0.0 \
    TIDEOVER_HTTP_PORT=8000

WORKDIR /app
COPY libs/ /app/libs/
COPY services/ /app/services/

# The libraries (and the operator's trial balance, tideover-reconcile) are installed as ordinary
# (non-editable) wheels: the runtime's own
# migrations live inside its package (tideover_runtime/migrations) and ship in the wheel.
# The services are installed EDITABLE (-e): each bootstrap.py finds its SQL migrations at
# Path(__file__).resolve().parents[3] / "migrations", i.e. /app/services/<svc>/migrations,
# which only exists while the code is imported from /app/services/<svc>/src (hatchling's
# editable install puts that src directory on sys.path through a .pth file). A normal
# install into site-packages would make that path point nowhere.
# Everything goes through one pip call so the resolver sees the local tideover-* packages.
RUN set -eu; \
    editables=""; \
    for service in /app/services/*/; do editables="$editables -e $service"; done; \
    pip install --no-cache-dir /app/libs/contracts /app/libs/runtime /app/libs/reconcile $editables; \
    python -c "import overdue_detection, notification, negotiation_intake, plan_calculation, repayment_tracking, scheduler, tideover_runtime"

# Run as an unprivileged user; /app stays owned by root and read-only to it
# (nothing is written there at run time: no bytecode, migrations are only read).
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/tideover tideover
USER tideover
WORKDIR /home/tideover

EXPOSE 8000
