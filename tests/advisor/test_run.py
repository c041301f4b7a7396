"""The advisor over a seeded world, through the real cr SDK and the local cloud."""

from __future__ import annotations

from acrguard.advisor.findings import CHECK_FAILED, ENABLED, FAILED, INSTANCE_NOT_FOUND
from acrguard.advisor.findings import LARGE as LARGE_IMAGE
from acrguard.advisor.run import Advisor
from support import ACCOUNT, INSTANCE_ID, REGION, make_factory
from tests.advisor.helpers import BASIC_ID, LARGE, SMALL, push

WEB = f"{INSTANCE_ID}/apps/web"


class Recorder:
    """A decision log that keeps the action names."""

    def __init__(self) -> None:
        self.actions: list[str] = []

    def decision(self, action: str, **fields) -> None:
        self.actions.append(action)


def rules(cloud) -> int:
    return cloud.requests.count("cr", "CreateArtifactBuildRule")


def advisor(cloud, config) -> Advisor:
    return Advisor(config, make_factory(cloud))


def test_a_large_push_raises_one_finding(cloud, make_config):
    """A 1.5 GiB tag in a repository without on-demand loading gives one finding, for that repository."""
    result = advisor(cloud, make_config()).check_push(INSTANCE_ID, "apps", "web", "v2")
    assert [f.rule for f in result.findings] == [LARGE_IMAGE]
    assert result.observed_scopes == {WEB}
    assert result.findings[0].evidence["tag"] == "v2" and result.findings[0].evidence["size_bytes"] == LARGE


def test_a_second_push_of_the_same_tag_is_the_same_finding(cloud, make_config):
    """Pushing the same tag again (or another large tag) reports the same identity: no new alert."""
    config = make_config()
    first = advisor(cloud, config).check_push(INSTANCE_ID, "apps", "web", "v2")
    push(cloud, "apps/web", "v2", LARGE + 1)
    again = advisor(cloud, config).check_push(INSTANCE_ID, "apps", "web", "v2")
    push(cloud, "apps/web", "v3", LARGE)
    other = advisor(cloud, config).check_push(INSTANCE_ID, "apps", "web", "v3")
    assert {f.fingerprint for f in first.findings + again.findings + other.findings} == {first.findings[0].fingerprint}


def test_a_small_push_raises_none_and_says_nothing_about_other_tags(cloud, make_config):
    """A small tag gives no finding and leaves the repository unobserved (an earlier finding stays)."""
    result = advisor(cloud, make_config()).check_push(INSTANCE_ID, "apps", "web", "v1")
    assert result.findings == [] and result.observed_scopes == set()


def test_the_event_size_is_not_trusted(cloud, make_config):
    """The live size decides: a tag re-pushed large after a small event is still found."""
    push(cloud, "apps/tiny", "v1", LARGE)
    result = advisor(cloud, make_config()).check_push(INSTANCE_ID, "apps", "tiny", "v1", event_size=SMALL)
    assert [f.rule for f in result.findings] == [LARGE_IMAGE]


def test_accelerated_repositories_are_fine_and_complete(cloud, make_config):
    """A repository with its ACCELERATED_IMAGE rule needs nothing; its scope is observed (resolves old findings)."""
    result = advisor(cloud, make_config()).check_push(INSTANCE_ID, "apps", "fast", "v1")
    assert result.findings == [] and result.observed_scopes == {f"{INSTANCE_ID}/apps/fast"}


def test_gone_tags_ignored_repositories_and_accelerated_variants_are_skipped(cloud, make_config):
    """A deleted tag, an ignored repository and ACR's own accelerated variant produce nothing."""
    runner = advisor(cloud, make_config({"ignore": ["tools/*"]}))
    for repo, tag in (("apps/web", "deleted"), ("tools/big", "v1"), ("apps/web", "v2_accelerated"),
                      ("apps/gone", "v1")):
        namespace, name = repo.split("/")
        result = runner.check_push(INSTANCE_ID, namespace, name, tag)
        assert result.findings == [] and result.observed_scopes == set(), repo


def test_unconfigured_instances_are_not_read(cloud, make_config):
    """A push to an instance without an image_advisor section reads nothing."""
    before = cloud.requests.last_seq()
    result = advisor(cloud, make_config()).check_push("cri-other00000000001", "apps", "web", "v1")
    assert result.findings == [] and cloud.requests.count(since=before) == 0


def test_enforce_creates_exactly_one_rule_on_an_advanced_instance(cloud, make_config):
    """enforce creates the repository's rule once, reports it, and later pushes find it in place."""
    config = make_config({"policy": "enforce"})
    first = advisor(cloud, config).check_push(INSTANCE_ID, "apps", "web", "v2")
    assert [f.rule for f in first.findings] == [ENABLED]
    assert len(first.changes) == 1 and "CreateArtifactBuildRule" in first.changes[0]
    second = advisor(cloud, config).check_push(INSTANCE_ID, "apps", "web", "v2")
    assert second.findings == [] and rules(cloud) == 1
    stored = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].build_rules
    assert [r.artifact_type for r in stored if r.scope_id == "crr-web0000000000001"] == ["ACCELERATED_IMAGE"]


def test_enforce_never_tries_on_a_basic_instance(cloud, make_config):
    """A Basic instance gets the advice and the upgrade path; CreateArtifactBuildRule is not called."""
    result = advisor(cloud, make_config(basic={"policy": "enforce"})).check_push(BASIC_ID, "apps", "web", "v2")
    assert [f.rule for f in result.findings] == [LARGE_IMAGE]
    assert "upgrade it to Standard or Advanced" in result.findings[0].fix
    assert "did not create the rule" in result.findings[0].details
    assert rules(cloud) == 0


def test_dry_run_writes_nothing(cloud, make_config):
    """enforce with dry_run reports what it would do and calls no mutating API."""
    result = advisor(cloud, make_config({"policy": "enforce"}, dry_run=True)).check_push(INSTANCE_ID, "apps", "web",
                                                                                          "v2")
    assert [f.rule for f in result.findings] == [LARGE_IMAGE] and "dry_run" in result.findings[0].details
    assert rules(cloud) == 0 and result.changes == []


def test_a_refused_rule_is_reported_beside_the_advice(cloud, make_config):
    """When CreateArtifactBuildRule fails for good, both the advice and the failure are reported."""
    cloud.inject(action="CreateArtifactBuildRule", code="Forbidden.RAM", status=403)
    result = advisor(cloud, make_config({"policy": "enforce"})).check_push(INSTANCE_ID, "apps", "web", "v2")
    assert sorted(f.rule for f in result.findings) == sorted([LARGE_IMAGE, FAILED])
    assert result.observed_scopes == {WEB}


def test_sweep_checks_the_newest_tags_of_matching_repositories(cloud, make_config):
    """The sweep pages ListRepoTag, looks at the newest tags only, and observes every matching repository."""
    for i in range(120):
        push(cloud, "apps/many", f"old-{i:03d}", SMALL if i else LARGE)
    cloud.advance(1)
    for i in range(3):
        push(cloud, "apps/many", f"new-{i}", SMALL)
    result = advisor(cloud, make_config({"repositories": ["apps/*"], "tags_per_repository": 3})).sweep()
    assert {f.resource for f in result.findings} == {WEB}
    assert {f"{INSTANCE_ID}/apps/{n}" for n in ("web", "tiny", "fast", "many")} <= result.observed_scopes
    assert f"{INSTANCE_ID}/tools/big" not in result.observed_scopes
    assert cloud.requests.count("cr", "ListRepoTag") == 5  # many: 2 pages; web, tiny, fast: 1 each


def test_a_repository_that_cannot_be_read_is_reported_and_the_sweep_goes_on(cloud, make_config):
    """A permanent read error on one repository is a finding on the instance; the others are still checked."""
    cloud.inject(action="ListRepoTag", code="Forbidden.RAM", status=403, times=1)
    result = advisor(cloud, make_config({"repositories": ["apps/*"]})).sweep()
    failed = [f for f in result.findings if f.rule == CHECK_FAILED]
    assert len(failed) == 1 and failed[0].scope == INSTANCE_ID and INSTANCE_ID in result.observed_scopes
    assert len(result.observed_scopes) == 3  # the instance and two of the three repositories


def test_an_event_digest_in_the_other_form_is_the_same_digest(cloud, make_config):
    """The event's ``sha256:<hex>`` and GetRepoTag's bare hex of the same image are not reported as differing."""
    log = Recorder()
    runner = Advisor(make_config(), make_factory(cloud), log)
    runner.check_push(INSTANCE_ID, "apps", "web", "v2", event_size=LARGE, event_digest="sha256:" + "ab" * 32)
    assert "event-differs-from-live" not in log.actions
    runner.check_push(INSTANCE_ID, "apps", "web", "v2", event_size=LARGE, event_digest="sha256:" + "cd" * 32)
    assert "event-differs-from-live" in log.actions


def test_a_push_to_a_missing_instance_is_one_not_found_finding(cloud, make_config):
    """A configured instance ACR does not know gives one 'instance not found' finding, not a failed invocation."""
    del cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    result = advisor(cloud, make_config()).check_push(INSTANCE_ID, "apps", "web", "v2")
    [finding] = result.findings
    assert (finding.rule, finding.scope) == (INSTANCE_NOT_FOUND, INSTANCE_ID)
    assert "not found in cn-hangzhou" in finding.title and result.observed_scopes == {INSTANCE_ID}


def test_a_sweep_reports_a_missing_instance_and_goes_on(cloud, make_config):
    """The sweep reports the missing instance and still checks the other configured instance."""
    del cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    result = advisor(cloud, make_config({"repositories": ["apps/*"]}, basic={"repositories": ["apps/*"]})).sweep()
    assert INSTANCE_NOT_FOUND in {f.rule for f in result.findings}
    assert f"{BASIC_ID}/apps/web" in result.observed_scopes


def _standard_instance(cloud, *, english: bool) -> None:
    """Make the test instance a Standard one; ``english``: the cloud answers as the English page (Advanced only)."""
    instance = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    instance.specification = "Enterprise_Standard"
    if english:
        instance.extra["acceleration_editions"] = ["Enterprise_Advanced"]


def test_enforce_on_a_standard_instance_creates_the_rule_when_acr_allows_it(cloud, make_config):
    """Following the Chinese page, a Standard instance gets its rule."""
    _standard_instance(cloud, english=False)
    result = advisor(cloud, make_config({"policy": "enforce"})).check_push(INSTANCE_ID, "apps", "web", "v2")
    assert [f.rule for f in result.findings] == [ENABLED] and rules(cloud) == 1


def test_a_standard_instance_refused_as_the_english_page_says_is_reported_once_per_run(cloud, make_config):
    """If ACR refuses on Standard, the finding names the edition limit and the run does not try again."""
    _standard_instance(cloud, english=True)
    push(cloud, "apps/tiny", "v2", LARGE)
    result = advisor(cloud, make_config({"policy": "enforce", "repositories": ["apps/*"]})).sweep()
    assert rules(cloud) == 1
    failed = [f for f in result.findings if f.rule == FAILED]
    assert len(failed) == 1 and failed[0].evidence["edition_limit"] is True
    assert "Standard" in failed[0].title and "Advanced only" in failed[0].details and "601109" in failed[0].details
    skipped = [f for f in result.findings if f.rule == LARGE_IMAGE and "did not try" in f.details]
    assert len(skipped) == 1  # the other large repository: advised, not tried again


def test_a_permission_refusal_on_standard_is_not_called_an_edition_limit(cloud, make_config):
    """A RAM denial on a Standard instance is a plain failure, and the next repository is still tried."""
    _standard_instance(cloud, english=False)
    cloud.inject(action="CreateArtifactBuildRule", code="Forbidden.RAM", status=403, times=1)
    push(cloud, "apps/tiny", "v2", LARGE)
    result = advisor(cloud, make_config({"policy": "enforce", "repositories": ["apps/*"]})).sweep()
    assert rules(cloud) == 2
    failed = [f for f in result.findings if f.rule == FAILED]
    assert len(failed) == 1 and "edition_limit" not in failed[0].evidence
