"""The prompt admin API (/api/v1/admin/prompts...): scope ai:admin, the error envelope, the lifecycle."""

from __future__ import annotations

import pytest
from django.utils import timezone

from evals.models import EvalRun, EvalSuite
from prompts.models import PromptVersion
from prompts.services import prompt_create, prompt_version_create_draft, prompt_version_seed
from tests.factories import ApiKeyFactory, canary_served

# tenant_a is the operator: its ai:admin key administers platform-wide resources (tenant_b is a hotel)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator_a")]

KEY = "PRMP_API_001"
BASE = "/api/v1/admin/prompts"
VERSION_URL = f"{BASE}/{KEY}/versions"
SYSTEM = "You answer for ${hotel}."
USER = "Question: ${question}"
NEW_VERSION = {
    "version": "1.1.0",
    "system_template": SYSTEM,
    "user_template": USER,
    "variables": ["hotel", "question"],
    "model_parameters": {"temperature": 0.3},
}


@pytest.fixture
def active(db):
    prompt = prompt_create(key=KEY, domain="API", description="for the API tests")
    return prompt_version_seed(
        prompt=prompt,
        version="1.0.0",
        system_template=SYSTEM,
        user_template=USER,
        variables=["hotel", "question"],
        model_parameters={},
    )


@pytest.fixture
def candidate(active):
    return prompt_version_create_draft(
        prompt_key=KEY,
        version="1.1.0",
        system_template="Now " + SYSTEM,
        user_template=USER,
        variables=["hotel", "question"],
    )


def passing_run(version: PromptVersion) -> EvalRun:
    """A passing run of `version`, after one of the active version (the gate compares the two)."""
    suite, _ = EvalSuite.objects.get_or_create(key="EVAL_API_001", defaults={"capability_id": "api.test"})
    for active in PromptVersion.objects.filter(prompt=version.prompt, status="active").exclude(pk=version.pk):
        EvalRun.objects.create(
            suite=suite, prompt_version=active, status="finished", verdict="pass", finished_at=timezone.now()
        )
    return EvalRun.objects.create(
        suite=suite, prompt_version=version, status="finished", verdict="pass", finished_at=timezone.now()
    )


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "request_id", "details"}
    assert error["code"] == code
    assert error["request_id"] == response["X-Request-ID"]
    assert error["message"]
    return error


def status_of(version: PromptVersion) -> str:
    return PromptVersion.objects.get(pk=version.pk).status


# --- reading and creating -----------------------------------------------------------------------


def test_the_list_has_every_prompt_with_its_versions(client_a, catalog, active):
    response = client_a.get(BASE)
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()}
    assert len(rows) == 15  # the 14 seeded prompts and this one
    assert [(v["version"], v["status"]) for v in rows[KEY]["versions"]] == [("1.0.0", "active")]
    assert {v["version"] for v in rows["PRMP_PRICING_001"]["versions"]} == {"3.0.0"}


def test_a_prompt_reads_with_its_versions_and_their_text(client_a, candidate):
    response = client_a.get(f"{BASE}/{KEY}")
    assert response.status_code == 200
    body = response.json()
    assert (body["key"], body["domain"], body["description"]) == (KEY, "API", "for the API tests")
    versions = {row["version"]: row for row in body["versions"]}
    assert versions["1.1.0"]["system_template"] == "Now " + SYSTEM
    assert versions["1.1.0"]["prompt"] == KEY
    assert versions["1.1.0"]["status"] == "draft" and versions["1.0.0"]["status"] == "active"


def test_an_unknown_prompt_is_404_not_found(client_a, db):
    error = error_of(client_a.get(f"{BASE}/PRMP_NOPE_001"), 404, "not_found")
    assert "PRMP_NOPE_001" in error["message"]


def test_creating_a_prompt_returns_it_without_versions(client_a, db):
    response = client_a.post(BASE, {"key": "PRMP_NEW_001", "domain": "NEW"}, format="json")
    assert response.status_code == 201
    assert response.json() | {"created_at": None} == {
        "key": "PRMP_NEW_001",
        "domain": "NEW",
        "description": "",
        "created_at": None,
        "versions": [],
    }


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"key": "pricing", "domain": "PRICING"}, 400, "invalid_request"),
        ({"key": KEY, "domain": "API"}, 409, "conflict"),
        ({"domain": "API"}, 400, "invalid_request"),
    ],
)
def test_invalid_or_duplicate_prompts_are_refused(client_a, active, body, status, code):
    error_of(client_a.post(BASE, body, format="json"), status, code)


def test_creating_a_version_makes_a_draft(client_a, active):
    response = client_a.post(VERSION_URL, NEW_VERSION, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["status"], body["canary_percent"], body["model_parameters"]) == (
        "1.1.0",
        "draft",
        None,
        {"temperature": 0.3},
    )
    assert PromptVersion.objects.get(pk=body["id"]).status == "draft"


@pytest.mark.parametrize(
    "change, status, code, detail",
    [
        ({"user_template": "Question: ${question} in ${room}"}, 400, "invalid_request", "undeclared variables"),
        ({"variables": ["hotel", "question", "locale"]}, 400, "invalid_request", "never used"),
        ({"version": "1.0.0"}, 409, "conflict", "must be greater than 1.0.0"),
        ({"version": "1.1"}, 400, "invalid_request", "not a semantic version"),
    ],
)
def test_a_bad_version_is_refused_with_the_reason(client_a, active, change, status, code, detail):
    error = error_of(client_a.post(VERSION_URL, NEW_VERSION | change, format="json"), status, code)
    assert detail in error["message"]
    assert active.prompt.versions.count() == 1


def test_a_version_body_missing_fields_lists_them(client_a, active):
    error = error_of(client_a.post(VERSION_URL, {"version": "1.1.0"}, format="json"), 400, "invalid_request")
    assert {"system_template", "user_template", "variables"} <= set(error["details"]["fields"])


def test_a_version_of_an_unknown_prompt_is_404(client_a, db):
    error_of(client_a.post(f"{BASE}/PRMP_NOPE_001/versions", NEW_VERSION, format="json"), 404, "not_found")


# --- the lifecycle ------------------------------------------------------------------------------


def test_a_canary_starts_and_stops(client_a, candidate):
    url = f"{VERSION_URL}/1.1.0/canary"
    response = client_a.post(url, {"percent": 10}, format="json")
    assert response.status_code == 200
    assert (response.json()["canary_percent"], response.json()["status"]) == (10, "draft")
    assert response.json()["canary_started_at"] is not None
    response = client_a.delete(url)
    assert response.status_code == 200
    assert response.json()["canary_percent"] is None
    error = error_of(client_a.delete(url), 409, "lifecycle_refused")
    assert "not running as a canary" in error["message"]


def test_a_canary_defaults_to_5_percent(client_a, candidate):
    assert client_a.post(f"{VERSION_URL}/1.1.0/canary", {}, format="json").json()["canary_percent"] == 5


@pytest.mark.parametrize("percent", [0, 51, "lots"])
def test_a_canary_percent_outside_1_to_50_is_400(client_a, candidate, percent):
    error = error_of(
        client_a.post(f"{VERSION_URL}/1.1.0/canary", {"percent": percent}, format="json"), 400, "invalid_request"
    )
    assert "percent" in error["details"]["fields"]
    assert PromptVersion.objects.get(pk=candidate.pk).canary_percent is None


def test_an_active_version_cannot_run_as_a_canary(client_a, active):
    error = error_of(client_a.post(f"{VERSION_URL}/1.0.0/canary", {}, format="json"), 409, "lifecycle_refused")
    assert "only a draft" in error["message"]


def test_promotion_without_an_eval_run_is_409_with_the_reasons(client_a, candidate):
    error = error_of(client_a.post(f"{VERSION_URL}/1.1.0/promote"), 409, "lifecycle_refused")
    assert error["details"]["reasons"] == [
        "no finished evaluation run is recorded for this version",
        "it has not run as a canary; start a canary and let it serve its review period",
    ]
    assert status_of(candidate) == "draft"


def test_promotion_check_explains_the_gate(client_a, candidate):
    canary_served(candidate)
    response = client_a.get(f"{VERSION_URL}/1.1.0/promotion-check")
    assert response.status_code == 200
    assert response.json() == {
        "allowed": False,
        "comparisons": [],
        "reasons": ["no finished evaluation run is recorded for this version"],
    }
    suite = EvalSuite.objects.create(
        key="EVAL_API_002", capability_id="api.test", thresholds={"schema_valid_rate": {"min": 0.9}}
    )
    EvalRun.objects.create(
        suite=suite,
        prompt_version=candidate,
        status="finished",
        verdict="pass",
        metrics={"schema_valid_rate": 0.97},
        finished_at=timezone.now(),
    )
    body = client_a.get(f"{VERSION_URL}/1.1.0/promotion-check").json()
    assert (body["allowed"], body["reasons"]) == (
        False,
        [f"the active version {KEY}@1.0.0 has no conclusive evaluation run to compare with; run the suite on it first"],
    )
    active = PromptVersion.objects.get(prompt__key=KEY, version="1.0.0")
    EvalRun.objects.create(
        suite=suite,
        prompt_version=active,
        status="finished",
        verdict="pass",
        metrics={"schema_valid_rate": 0.96},
        finished_at=timezone.now(),
    )
    body = client_a.get(f"{VERSION_URL}/1.1.0/promotion-check").json()
    assert (body["allowed"], body["reasons"]) == (True, [])
    assert body["comparisons"] == [
        {
            "metric": "schema_valid_rate",
            "candidate": 0.97,
            "active": 0.96,
            "threshold": {"min": 0.9},
            "tolerance": 0.0,
            "ok": True,
            "reason": "",
        }
    ]


def test_promotion_with_a_passing_run_activates_and_deprecates_the_previous(client_a, active, candidate):
    passing_run(canary_served(candidate))
    response = client_a.post(f"{VERSION_URL}/1.1.0/promote")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["activated_at"] is not None) == ("active", True)
    assert (status_of(active), status_of(candidate)) == ("deprecated", "active")
    assert client_a.get(f"{BASE}/{KEY}").json()["versions"][1]["deprecated_at"] is not None


def test_deprecate_and_retire_follow_the_lifecycle(client_a, active, candidate):
    error = error_of(client_a.post(f"{VERSION_URL}/1.0.0/retire"), 409, "lifecycle_refused")
    assert "only a draft or deprecated version can be retired" in error["message"]
    error_of(client_a.post(f"{VERSION_URL}/1.1.0/deprecate"), 409, "lifecycle_refused")
    assert client_a.post(f"{VERSION_URL}/1.0.0/deprecate").json()["status"] == "deprecated"
    assert client_a.post(f"{VERSION_URL}/1.0.0/retire").json()["status"] == "retired"
    assert client_a.post(f"{VERSION_URL}/1.1.0/retire").json()["status"] == "retired"
    assert (status_of(active), status_of(candidate)) == ("retired", "retired")


@pytest.mark.parametrize(
    "method, suffix",
    [
        ("post", "canary"),
        ("delete", "canary"),
        ("post", "promote"),
        ("post", "deprecate"),
        ("post", "retire"),
        ("get", "promotion-check"),
    ],
)
def test_an_unknown_version_is_404_not_found(client_a, active, method, suffix):
    error = error_of(getattr(client_a, method)(f"{VERSION_URL}/9.9.9/{suffix}"), 404, "not_found")
    assert "9.9.9" in error["message"]
    error_of(getattr(client_a, method)(f"{BASE}/PRMP_NOPE_001/versions/1.0.0/{suffix}"), 404, "not_found")


# --- who may call it ----------------------------------------------------------------------------

ENDPOINTS = [
    ("get", BASE),
    ("post", BASE),
    ("get", f"{BASE}/{KEY}"),
    ("post", VERSION_URL),
    ("post", f"{VERSION_URL}/1.1.0/canary"),
    ("delete", f"{VERSION_URL}/1.1.0/canary"),
    ("post", f"{VERSION_URL}/1.1.0/promote"),
    ("post", f"{VERSION_URL}/1.0.0/deprecate"),
    ("post", f"{VERSION_URL}/1.1.0/retire"),
    ("get", f"{VERSION_URL}/1.1.0/promotion-check"),
]


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_a_key_without_ai_admin_is_403_forbidden(client_for, tenant_a, candidate, method, url):
    issued = ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke", "ai:review"])
    error = error_of(getattr(client_for(issued.raw), method)(url, {}, format="json"), 403, "forbidden")
    assert "ai:admin" in error["message"]
    assert (status_of(candidate), PromptVersion.objects.get(pk=candidate.pk).canary_percent) == ("draft", None)


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_without_a_key_it_is_401_unauthenticated(anon_client, candidate, method, url):
    response = getattr(anon_client, method)(url, {}, format="json")
    error_of(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert status_of(candidate) == "draft"


def test_api_changes_are_kept_in_history_without_a_django_user(client_a, candidate):
    assert client_a.post(f"{VERSION_URL}/1.1.0/canary", {"percent": 7}, format="json").status_code == 200
    latest = PromptVersion.history.filter(id=candidate.pk).first()
    assert (latest.canary_percent, latest.history_type, latest.history_user) == (7, "~", None)
