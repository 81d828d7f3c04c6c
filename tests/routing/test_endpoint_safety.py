"""No server-side request forgery through the model registry: an endpoint on loopback, a private
network, the metadata service or an IPv4-mapped IPv6 address is refused at registration, in the
admin form and again at call time, unless MODEL_ENDPOINT_ALLOWED_HOSTS lists it."""

from __future__ import annotations

import socket

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from routing.admin import ModelDeploymentForm
from routing.models import Model, ModelDeployment
from routing.providers.base import ProviderError
from routing.providers.self_hosted import SelfHostedAdapter, SelfHostedConfig
from routing.services import deployment_register
from tests.factories import staff_login
from tests.routing.providers.support import make_request

pytestmark = pytest.mark.django_db
UNSAFE = [
    "http://127.0.0.1:6379",
    "http://localhost:8000/v1",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:127.0.0.1]:6379",
    "http://[::1]:8000/v1",
    "http://10.0.0.5:8000/v1",
    "http://192.168.1.10/v1",
    "http://0.0.0.0:8000",
    "http://[fd00:ec2::254]/",
    "http://100.64.0.1/v1",
]


@pytest.fixture
def nothing_allowed(settings):
    settings.MODEL_ENDPOINT_ALLOWED_HOSTS = []
    return settings


@pytest.mark.parametrize("url", UNSAFE)
def test_registering_an_unsafe_endpoint_is_refused(catalog, nothing_allowed, url):
    with pytest.raises(CommandError, match="the gateway does not send requests there"):
        call_command("registry", "register", "phi-3-mini", url)
    assert not ModelDeployment.objects.exists()


def test_a_name_that_resolves_to_a_private_address_is_refused_after_resolution(catalog, nothing_allowed, monkeypatch):
    real = socket.getaddrinfo

    def resolver_fake(host, *args, **kwargs):  # the attacker's DNS name points at the metadata service
        return real("169.254.169.254", *args, **kwargs) if host == "innocent.example" else real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver_fake)
    with pytest.raises(CommandError, match=r"innocent\.example resolves to 169\.254\.169\.254"):
        call_command("registry", "register", "phi-3-mini", "http://innocent.example/v1")


def test_an_allowed_host_or_network_may_be_registered(catalog, settings):
    settings.MODEL_ENDPOINT_ALLOWED_HOSTS = ["10.20.0.0/16", ".svc.cluster.local"]
    deployment_register(model_name="phi-3-mini", endpoint_url="http://10.20.3.4:8000/v1", environment="staging")
    deployment_register(
        model_name="phi-3-mini", endpoint_url="http://phi.system.svc.cluster.local/v1", environment="production"
    )
    with pytest.raises(Exception, match="private address"):
        deployment_register(model_name="phi-3-mini", endpoint_url="http://10.21.0.1/v1", environment="development")


def test_the_admin_form_refuses_an_unsafe_endpoint(catalog, nothing_allowed, superuser):
    phi = Model.objects.get(name="phi-3-mini")
    form = ModelDeploymentForm(
        data={
            "model": phi.pk,
            "endpoint_url": "http://169.254.169.254/v1",
            "environment": "development",
            "status": "ready",
            "last_health_status": "",
        }
    )
    assert not form.is_valid()
    assert "link-local" in form.errors["endpoint_url"][0]
    browser = Client()
    staff_login(browser, superuser)
    response = browser.post(
        "/admin/routing/modeldeployment/add/",
        {"model": phi.pk, "endpoint_url": "http://127.0.0.1:6379", "environment": "development", "status": "ready"},
    )
    assert response.status_code == 200 and b"loopback" in response.content
    assert not ModelDeployment.objects.exists()


def test_the_adapter_checks_the_endpoint_again_at_call_time(catalog, openai_fake, django_capture_on_commit_callbacks):
    """Registered while allowed (or while the name resolved elsewhere): the call itself is refused."""
    with django_capture_on_commit_callbacks(execute=True):
        deployment_register(
            model_name="phi-3-mini", endpoint_url=f"{openai_fake.base_url}/v1", environment="development"
        )
    adapter = SelfHostedAdapter(SelfHostedConfig(environment="development", allowed_hosts=()))
    with pytest.raises(ProviderError) as caught:
        adapter.complete(make_request(model="phi-3-mini"))
    assert (caught.value.kind, caught.value.retryable) == ("refused", False)
    assert openai_fake.received == []
    allowed = SelfHostedAdapter(SelfHostedConfig(environment="development", allowed_hosts=("127.0.0.1",)))
    assert allowed.complete(make_request(model="phi-3-mini")).output
    assert len(openai_fake.received) == 1
