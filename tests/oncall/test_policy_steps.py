"""The escalation policy editor's step rows: what a POST keeps, drops and refuses."""

from django.test import Client

from oncall.models import EscalationPolicy


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_editor_draws_five_step_rows_with_a_policys_steps_filled_in(
    team, schedule, admin_user, cat
):
    client = logged_in(admin_user)
    client.post(
        "/oncall/teams/payments/policies/new/",
        {
            "name": "Day",
            "repeat": 0,
            "step-0-targets": [f"user:{cat.pk}"],
            "step-0-after": "7",
        },
    )
    policy = EscalationPolicy.objects.get(name="Day")
    page = client.get(f"/oncall/teams/payments/policies/{policy.pk}/").content.decode()
    for row in range(5):
        assert f'name="step-{row}-targets"' in page
        assert f'<label for="step-{row}-after">Escalate after (minutes)</label>' in page
    assert 'name="step-0-after" value="7"' in page
    assert 'name="step-1-after" value="15"' in page
    assert f'<option value="schedule:{schedule.pk}">On call: {schedule.name}</option>' in page


def test_rows_without_targets_are_dropped_whatever_their_minutes(team, schedule, admin_user):
    response = logged_in(admin_user).post(
        "/oncall/teams/payments/policies/new/",
        {
            "name": "Sparse",
            "repeat": 0,
            "step-0-after": "not a number",
            "step-2-targets": [f"schedule:{schedule.pk}"],
            "step-2-after": "20",
        },
    )
    assert response.status_code == 302
    steps = EscalationPolicy.objects.get(name="Sparse").steps.all()
    assert [s.escalate_after_minutes for s in steps] == [20]


def test_a_step_with_bad_minutes_or_an_unknown_target_is_refused_on_its_row(
    team, schedule, admin_user
):
    client = logged_in(admin_user)
    bad_minutes = client.post(
        "/oncall/teams/payments/policies/new/",
        {
            "name": "Bad",
            "repeat": 0,
            "step-0-targets": [f"schedule:{schedule.pk}"],
            "step-0-after": "soon",
        },
    )
    assert bad_minutes.status_code == 400
    assert "Minutes must be a number." in bad_minutes.content.decode()
    unknown = client.post(
        "/oncall/teams/payments/policies/new/",
        {
            "name": "Bad",
            "repeat": 0,
            "step-0-targets": ["schedule:999999"],
            "step-0-after": "5",
        },
    )
    assert unknown.status_code == 400
    assert "schedule:999999 is not one of the available choices" in unknown.content.decode()
    assert not EscalationPolicy.objects.filter(name="Bad").exists()
