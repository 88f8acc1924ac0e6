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

# Every package is installed as an ordinary (non-editable) wheel: each one's SQL migrations live
# inside it (tideover_runtime/migrations, <service>/migrations) and ship in the wheel. The test kit
# (libs/testkit) and the simulator are development tools and are not installed. Everything goes
# through one pip call so the resolver sees the local tideover-* packages.
RUN set -eu; \
    pip install --no-cache-dir /app/libs/contracts /app/libs/runtime /app/libs/reconcile /app/services/*/; \
    python -c "import overdue_detection, notification, negotiation_intake, plan_calculation, repayment_tracking, scheduler, tideover_runtime"; \
    python -c "from overdue_detection.entrypoints.bootstrap import MIGRATIONS; assert any(MIGRATIONS.glob('*.sql')), MIGRATIONS"; \
    rm -rf /app/libs /app/services

# Run as an unprivileged user; /app stays owned by root and read-only to it
# (nothing is written there at run time: no bytecode, migrations are only read).
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/tideover tideover
USER tideover
WORKDIR /home/tideover

EXPOSE 8000
