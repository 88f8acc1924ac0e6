"""The Helm chart (deploy/helm/tideover): `helm lint`, `helm template` with the defaults and with
ci/options-values.yaml, every rendered manifest validated against Kubernetes' own schemas
(kubernetes-validate, strict: an unknown field is an error), and what the chart must do: every
process a Deployment with its probes, resources, Service and PodDisruptionBudget; secrets only
in a Secret; the scheduler; the topics hook; the optional ServiceMonitor.

helm is built from its Go module by deploy/helm/helm.sh, once (about two minutes on two cores
with a cold Go cache), into var/tools/. No cluster is needed.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "tideover"
OPTIONS = CHART / "ci" / "options-values.yaml"
HELM_SH = REPO / "deploy" / "helm" / "helm.sh"
RELEASE, NAMESPACE = "tideover", "lending"

#: The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest whose
#: schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.30", "1.37")
#: Kinds of CRDs, whose schemas kubernetes-validate does not have: checked by hand below.
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}

#: Every process: Deployment / Service name suffix -> the module the image runs.
PROCESSES = {
    "overdue-detection": "overdue_detection",
    "notification": "notification",
    "negotiation-intake": "negotiation_intake",
    "plan-calculation": "plan_calculation",
    "repayment-tracking": "repayment_tracking",
    "scheduler": "scheduler",
}
KAFKA = "kafka.example:9092"
OPTIONS_KAFKA = "kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092"  # ci/options-values.yaml
#: Clearly fake secrets, to find wherever they are rendered.
FAKE_SECRETS = {
    "databaseUrl": "postgresql://tideover:fake-db-password-0001@db.example:5432/tideover",
    "codeSecret": "fake-code-secret-0123456789abcdef0123456789abcdef",
    "linkSecret": "fake-link-secret-0123456789abcdef0123456789abcdef",
    "intakeServiceKey": "tsk_fakeid_fake-service-key-secret-part",
}

pytestmark = [pytest.mark.chart, pytest.mark.timeout(1200)]  # the first run builds helm


@cache
def helm() -> str:
    if shutil.which("go") is None and not any((REPO / "var" / "tools").glob("helm-*/helm")):
        pytest.skip("helm is built from its Go module: needs the Go toolchain (deploy/helm/helm.sh)")
    built = subprocess.run([str(HELM_SH)], capture_output=True, text=True, timeout=1200, check=False)
    assert built.returncode == 0, f"deploy/helm/helm.sh failed:\n{built.stderr}"
    return built.stdout.strip().splitlines()[-1]


def run_helm(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm(), *arguments], capture_output=True, text=True, timeout=120, check=False, cwd=REPO)


def values_arguments(case: str) -> list[str]:
    base = ["--set", f"kafka.bootstrapServers={KAFKA}"]
    if case == "defaults":
        return base
    if case == "options":
        return ["-f", str(OPTIONS)]
    if case == "chart-secret":
        return base + [argument for key, value in FAKE_SECRETS.items() for argument in ("--set", f"secrets.{key}={value}")]
    raise AssertionError(case)


@cache
def rendered_text(case: str) -> str:
    result = run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *values_arguments(case))
    assert result.returncode == 0, result.stderr
    # Helm's warnings (a value of the wrong type over a default, a deprecated API) fail the check.
    assert "warning" not in result.stderr.lower(), result.stderr
    return result.stdout


def rendered(case: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(rendered_text(case)) if document]


def of_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def named(process: str) -> str:
    return f"{RELEASE}-{process}"


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in container(deployment).get("env", [])}


def config_of(documents: list[dict[str, Any]], process: str) -> dict[str, str]:
    """What a process's ConfigMaps give it: the common one, then its own (which wins)."""
    maps = of_kind(documents, "ConfigMap")
    return {**maps[named("common")]["data"], **maps[named(process)]["data"]}


CASES = ("defaults", "options", "chart-secret")


def test_lint() -> None:
    for arguments in (values_arguments("defaults"), values_arguments("options")):
        result = run_helm("lint", "--strict", str(CHART), *arguments)
        assert result.returncode == 0, result.stdout + result.stderr


def test_kafka_is_required() -> None:
    result = run_helm("template", RELEASE, str(CHART))
    assert result.returncode != 0
    assert "kafka.bootstrapServers is required" in result.stderr


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("case", CASES)
def test_every_manifest_is_valid_kubernetes(case: str, version: str) -> None:
    for document in rendered(case):
        name = f"{document['kind']}/{document['metadata']['name']}"
        if (document["apiVersion"], document["kind"]) in CUSTOM_KINDS:
            with pytest.raises(kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(document, version, strict=True)
            continue
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{case}: {name} is not valid Kubernetes {version}: {error.message} at {list(error.absolute_path)}")
        assert document["metadata"].get("namespace") in (None, NAMESPACE), name


@pytest.mark.parametrize("case", CASES)
def test_every_process_is_a_deployment_with_probes_and_resources(case: str) -> None:
    documents = rendered(case)
    deployments = of_kind(documents, "Deployment")
    assert set(deployments) == {named(process) for process in PROCESSES}
    for process, module in PROCESSES.items():
        deployment = deployments[named(process)]
        main = container(deployment)
        assert main["command"] == ["python", "-m", module]
        assert main["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
        env = env_of(deployment)
        assert env["TIDEOVER_HTTP_HOST"]["value"] == "0.0.0.0"
        assert env["TIDEOVER_HTTP_PORT"]["value"] == "8000"
        assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert main["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert {"cpu", "memory"} <= set(main["resources"]["requests"]), process
        assert {"cpu", "memory"} <= set(main["resources"]["limits"]), process
        pod = deployment["spec"]["template"]["spec"]
        assert pod["enableServiceLinks"] is False  # no TIDEOVER_SCHEDULER_PORT=tcp://... in the settings
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert main["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"mountPath": "/tmp", "name": "tmp"} in main["volumeMounts"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        config = config_of(documents, process)
        assert config["KAFKA_BOOTSTRAP_SERVERS"] == (OPTIONS_KAFKA if case == "options" else KAFKA)
        assert config["TIDEOVER_ENV"] == "production"
        assert config["TIDEOVER_INBOX_RETENTION_DAYS"] == "14"
        assert config["TIDEOVER_OUTBOX_RETENTION_HOURS"] == "24"


@pytest.mark.parametrize("case", CASES)
def test_a_service_and_a_disruption_budget_per_process(case: str) -> None:
    documents = rendered(case)
    deployments, services = of_kind(documents, "Deployment"), of_kind(documents, "Service")
    budgets = of_kind(documents, "PodDisruptionBudget")
    assert set(services) == set(deployments)
    without_budget = {named("repayment-tracking")} if case == "options" else set()
    assert set(budgets) == set(deployments) - without_budget
    for name, deployment in deployments.items():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        service = services[name]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert service["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
        # Each selects its own process's pods only.
        others = [other for other in deployments.values() if other is not deployment]
        assert all(not service["spec"]["selector"].items() <= o["spec"]["template"]["metadata"]["labels"].items() for o in others)
        if name in budgets:
            budget = budgets[name]["spec"]
            assert budget["selector"]["matchLabels"].items() <= pod_labels.items()
            assert ("maxUnavailable" in budget) != ("minAvailable" in budget)
            assert budget["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    if case == "options":
        assert budgets[named("notification")]["spec"]["minAvailable"] == 1


def test_no_secret_in_clear() -> None:
    documents = rendered("chart-secret")
    text = rendered_text("chart-secret")
    for secret in FAKE_SECRETS.values():
        assert secret not in text, "a secret is rendered in clear"
    for name, config_map in of_kind(documents, "ConfigMap").items():
        data = config_map.get("data") or {}
        assert not {"DATABASE_URL", "TIDEOVER_CODE_SECRET", "TIDEOVER_LINK_SECRET", "TIDEOVER_SERVICE_KEY"} & set(data), name
        assert not any(secret in value for value in data.values() for secret in FAKE_SECRETS.values()), name
    (secret,) = of_kind(documents, "Secret").values()
    decoded = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    assert decoded == {
        "DATABASE_URL": FAKE_SECRETS["databaseUrl"],
        "TIDEOVER_CODE_SECRET": FAKE_SECRETS["codeSecret"],
        "TIDEOVER_LINK_SECRET": FAKE_SECRETS["linkSecret"],
        "TIDEOVER_INTAKE_SERVICE_KEY": FAKE_SECRETS["intakeServiceKey"],
    }
    deployments = of_kind(documents, "Deployment")
    for name, deployment in deployments.items():
        env = env_of(deployment)
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": secret["metadata"]["name"], "key": "DATABASE_URL"}
        # The code secret and intake's service key go to intake alone.
        has_intakes = {"TIDEOVER_CODE_SECRET", "TIDEOVER_SERVICE_KEY"} <= set(env)
        assert has_intakes == (name == named("negotiation-intake")), name
        assert "value" not in env.get("TIDEOVER_CODE_SECRET", {})
        # The link secret to the two that sign and open the borrowers' links (issue 21), and no other.
        assert ("TIDEOVER_LINK_SECRET" in env) == (name in {named("notification"), named("negotiation-intake")}), name
        assert "value" not in env.get("TIDEOVER_LINK_SECRET", {})
    intake = env_of(deployments[named("negotiation-intake")])
    assert intake["TIDEOVER_CODE_SECRET"]["valueFrom"]["secretKeyRef"]["optional"] is False
    for process in ("notification", "negotiation-intake"):
        assert env_of(deployments[named(process)])["TIDEOVER_LINK_SECRET"]["valueFrom"]["secretKeyRef"] == {
            "name": secret["metadata"]["name"],
            "key": "TIDEOVER_LINK_SECRET",
            "optional": False,  # required outside development: both refuse to start without it
        }
    assert intake["TIDEOVER_SERVICE_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": secret["metadata"]["name"],
        "key": "TIDEOVER_INTAKE_SERVICE_KEY",
        "optional": True,
    }


def test_in_development_the_code_and_link_secrets_may_be_missing() -> None:
    """TIDEOVER_ENV=development: the services use the public development secrets (never on a cluster others can reach)."""
    result = run_helm("template", RELEASE, str(CHART), *values_arguments("defaults"), "--set", "config.TIDEOVER_ENV=development")
    assert result.returncode == 0, result.stderr
    deployments = of_kind([d for d in yaml.safe_load_all(result.stdout) if d], "Deployment")
    optional = {
        (process, variable): env_of(deployments[named(process)])[variable]["valueFrom"]["secretKeyRef"]["optional"]
        for process, variable in (
            ("notification", "TIDEOVER_LINK_SECRET"),
            ("negotiation-intake", "TIDEOVER_LINK_SECRET"),
            ("negotiation-intake", "TIDEOVER_CODE_SECRET"),
        )
    }
    assert set(optional.values()) == {True}


def test_no_default_secret() -> None:
    (secret,) = of_kind(rendered("defaults"), "Secret").values()
    assert not secret.get("data")


def test_a_secret_in_settings_is_refused() -> None:
    for key in (
        "config.TIDEOVER_CODE_SECRET",
        "config.TIDEOVER_LINK_SECRET",
        "config.DATABASE_URL",
        "services.negotiationIntake.config.TIDEOVER_SERVICE_KEY",
        "services.notification.config.TIDEOVER_LINK_SECRET",
    ):
        result = run_helm("template", RELEASE, str(CHART), *values_arguments("defaults"), "--set", f"{key}=oops")
        assert result.returncode != 0, key
        assert "looks like a secret" in result.stderr, key


def test_existing_secret() -> None:
    documents = rendered("options")
    assert of_kind(documents, "Secret") == {}
    deployments = of_kind(documents, "Deployment")
    for name, deployment in deployments.items():
        reference = env_of(deployment)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        key = "overdue-detection-database-url" if name == named("overdue-detection") else "database-url"  # its own role
        assert reference == {"name": "tideover-credentials", "key": key}
        assert "checksum/secret" not in deployment["spec"]["template"]["metadata"]["annotations"]
    intake = env_of(deployments[named("negotiation-intake")])
    assert intake["TIDEOVER_CODE_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "code-secret"
    for process in ("notification", "negotiation-intake"):
        assert env_of(deployments[named(process)])["TIDEOVER_LINK_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "link-secret"
    assert intake["TIDEOVER_SERVICE_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "intake-service-key"
    assert intake["TIDEOVER_POD_NAME"]["valueFrom"]["fieldRef"] == {"fieldPath": "metadata.name"}


def test_replicas_and_settings_from_values() -> None:
    defaults, options = of_kind(rendered("defaults"), "Deployment"), of_kind(rendered("options"), "Deployment")
    assert defaults[named("scheduler")]["spec"]["replicas"] == 1
    assert options[named("scheduler")]["spec"]["replicas"] == 2
    assert options[named("overdue-detection")]["spec"]["replicas"] == 3
    assert container(options[named("scheduler")])["image"] == "registry.example/tideover/service:2027.1.0"
    assert container(defaults[named("scheduler")])["image"] == "tideover/service:0.1.0"
    documents = rendered("options")
    assert config_of(documents, "overdue-detection")["TIDEOVER_REMINDER_DAYS"] == "[5,3,1]"
    assert config_of(documents, "overdue-detection")["TIDEOVER_POOL_MAX_SIZE"] == "10"
    assert config_of(documents, "overdue-detection")["TIDEOVER_RETRY_BACKOFF_SECONDS"] == "0.5"
    assert config_of(documents, "overdue-detection")["TIDEOVER_TOPIC_PREFIX"] == "prod."
    assert "TIDEOVER_REMINDER_DAYS" not in config_of(documents, "notification")
    instructions = yaml.safe_load(config_of(documents, "notification")["TIDEOVER_PAYMENT_INSTRUCTIONS"])
    assert set(instructions) == {"en", "zh-Hans"}
    # The borrower's page, where notification's links lead (issue 21).
    assert config_of(documents, "notification")["TIDEOVER_BORROWER_PAGE_URL"] == "https://pay.lender.example/b/"
    assert config_of(documents, "notification")["TIDEOVER_LINK_VALID_DAYS"] == "5"
    # A setting left "" is not passed: the service's own default applies.
    assert "TIDEOVER_BATCH_SIZE" not in config_of(rendered("defaults"), "notification")
    assert "TIDEOVER_BORROWER_PAGE_URL" not in config_of(rendered("defaults"), "notification")


def test_the_scheduler() -> None:
    for case in ("defaults", "options"):
        documents = rendered(case)
        scheduler = of_kind(documents, "Deployment")[named("scheduler")]
        assert container(scheduler)["command"] == ["python", "-m", "scheduler"]
        assert "DATABASE_URL" in env_of(scheduler)  # the advisory lock and its book
        assert named("scheduler") in of_kind(documents, "Service")
    config = config_of(rendered("options"), "scheduler")
    assert config["TIDEOVER_SCHEDULER_CUTOFF"] == "17:30"
    assert config["TIDEOVER_SCHEDULER_CALENDAR"] == "weekdays"
    assert config["TIDEOVER_SCHEDULER_HOLIDAYS"] == "2027-01-01,2027-02-05,2027-02-08"
    assert config["TIDEOVER_SCHEDULER_TICK_SECONDS"] == "120"
    assert "TIDEOVER_SCHEDULER_CUTOFF" not in config_of(rendered("defaults"), "scheduler")
    off = run_helm("template", RELEASE, str(CHART), *values_arguments("defaults"), "--set", "services.scheduler.enabled=false")
    assert off.returncode == 0, off.stderr
    assert named("scheduler") not in off.stdout


@pytest.mark.parametrize("case", CASES)
def test_intake_asks_the_services_in_the_cluster(case: str) -> None:
    documents = rendered(case)
    services = of_kind(documents, "Service")
    config = config_of(documents, "negotiation-intake")
    for setting, process in (
        ("TIDEOVER_OVERDUE_URL", "overdue-detection"),
        ("TIDEOVER_NOTIFICATION_URL", "notification"),
        ("TIDEOVER_TRACKING_URL", "repayment-tracking"),
    ):
        assert config[setting] == f"http://{named(process)}:8000"
        assert named(process) in services


def test_service_monitor() -> None:
    assert of_kind(rendered("defaults"), "ServiceMonitor") == {}
    documents = rendered("options")
    (monitor,) = of_kind(documents, "ServiceMonitor").values()
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["namespace"] == "monitoring"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    spec = monitor["spec"]
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    endpoint = {"port": "http", "path": "/metrics", "scheme": "http", "interval": "30s", "scrapeTimeout": "10s"}
    assert spec["endpoints"] == [endpoint]
    selector = spec["selector"]["matchLabels"].items()
    selected = [svc for svc in of_kind(documents, "Service").values() if selector <= svc["metadata"]["labels"].items()]
    assert len(selected) == len(PROCESSES)


def test_topics_hook() -> None:
    (job,) = of_kind(rendered("options"), "Job").values()
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    topics = job["spec"]["template"]["spec"]["containers"][0]
    assert topics["command"] == ["tideover-topics", "--partitions", "12", "--replication-factor", "3", "--probe"]
    env = {variable["name"]: variable["value"] for variable in topics["env"]}
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == OPTIONS_KAFKA
    assert env["TIDEOVER_TOPIC_PREFIX"] == "prod."
    (default_job,) = of_kind(rendered("defaults"), "Job").values()
    default_command = default_job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert default_command == ["tideover-topics", "--replication-factor", "1", "--probe"]
    off = run_helm("template", RELEASE, str(CHART), *values_arguments("defaults"), "--set", "topics.enabled=false")
    assert off.returncode == 0, off.stderr
    assert "kind: Job" not in off.stdout
