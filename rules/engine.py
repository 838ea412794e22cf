"""Run the policy table over one message and build the Decision. Pure and deterministic."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rules import policy
from rules.capture import candidate_projects, logged_message
from rules.decision import Decision, Effect, Finding, Outcome, OutcomeStatus, Verdict
from rules.evaluation import Evaluation
from rules.facts import Capture, DirectorySnapshot, MessageFacts, ProjectView
from rules.reasons import Reason

_STATUS_OF_EFFECT = {Effect.PENDING: OutcomeStatus.PENDING}


def _evaluate_capture(message: MessageFacts, capture: Capture, snapshot: DirectorySnapshot,
                      trace: list[Finding]) -> Evaluation:
    channel, finding = policy.CHANNEL_PROMOTION.resolve(message, capture, snapshot)
    trace.append(finding)
    logged, note = logged_message(message, channel)
    trace.extend([note] if note else [])
    user, finding = policy.CAPTURING_USER.resolve(message, capture, channel, snapshot)
    trace.append(finding)
    candidates = candidate_projects(capture, channel, user, snapshot)
    return Evaluation(message, capture, snapshot, channel, logged, user, candidates)


def _run_gates(ev: Evaluation, projects: tuple[ProjectView, ...],
               trace: list[Finding]) -> dict[str, Finding]:
    """Run the message-level rules; return the stopping finding per stopped project."""
    stopped: dict[str, Finding] = {}
    for gate in policy.GATES:
        live = tuple(p for p in projects if p.id not in stopped)
        if not live:
            break
        for project in (live if gate.per_project else (None,)):
            finding = gate.check(ev, project)
            trace.append(finding)
            if finding.verdict is Verdict.FAIL:
                stopped.update({p.id: finding for p in ([project] if project else live)})
    return stopped


def _not_logged(address: str, project: ProjectView, finding: Finding) -> Outcome:
    status = _STATUS_OF_EFFECT.get(finding.effect, OutcomeStatus.NOT_LOGGED)
    return Outcome(address, project.id, status, finding.reason, finding.detail, finding.rule,
                   interaction_type=project.interaction_type)


def _matched_outcomes(ev: Evaluation, address: str, project: ProjectView, choice: Finding,
                      trace: list[Finding]) -> list[Outcome]:
    contacts = ev.snapshot.contacts_for(address, project.id)
    if choice.verdict is Verdict.FAIL:
        return [_with_contact(_not_logged(address, project, choice), c.id) for c in contacts] \
            or [_not_logged(address, project, choice)]
    outcomes = []
    for contact in contacts or (None,):
        credit = policy.ATTRIBUTION.credit(ev, project, contact)
        companies = policy.COMPANY_ASSOCIATION.associate(ev, address, project, contact)
        deals = policy.DEAL_ASSOCIATION.associate(ev, address, project, contact)
        trace.extend((credit.finding, companies.finding, deals.finding))
        outcomes.append(Outcome(
            address, project.id, OutcomeStatus.LOGGED, choice.reason, choice.detail,
            choice.rule, contact_id=contact.id if contact else None, user_id=credit.user_id,
            interaction_type=project.interaction_type, create_contact=contact is None,
            company_ids=companies.ids, deal_ids=deals.ids))
    return outcomes


def _with_contact(outcome: Outcome, contact_id: str) -> Outcome:
    return Outcome(outcome.address, outcome.project_id, outcome.status, outcome.reason,
                   outcome.detail, outcome.rule, contact_id, outcome.user_id,
                   outcome.interaction_type)


def _address_outcomes(ev: Evaluation, address: str, projects: tuple[ProjectView, ...],
                      stopped: dict[str, Finding], trace: list[Finding]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    matched: list[ProjectView] = []
    for project in projects:
        failure = stopped.get(project.id)
        for rule in () if failure else policy.ADDRESS_RULES:
            finding = rule.check(ev, address, project)
            trace.append(finding)
            if finding.verdict is Verdict.FAIL:
                failure = finding
                break
        if failure:
            outcomes.append(_not_logged(address, project, failure))
        else:
            matched.append(project)
    choices = policy.PROJECT_CHOICE.choose(ev, address, tuple(matched)) if matched else ()
    for project, choice in zip(matched, choices):
        trace.append(choice)
        outcomes.extend(_matched_outcomes(ev, address, project, choice, trace))
    return outcomes


def decide(message: MessageFacts, capture: Capture, snapshot: DirectorySnapshot,
           decided_at: datetime) -> Decision:
    """Run the policy table and return the full, explainable decision."""
    trace: list[Finding] = []
    ev = _evaluate_capture(message, capture, snapshot, trace)
    original_verified, note = policy.ORIGINAL_VERIFIED.judge(ev)
    trace.extend([note] if note else [])
    meeting_type, note = policy.MEETING_INVITE.judge(ev)
    trace.extend([note] if note else [])
    projects = tuple(p for p in map(snapshot.project, ev.candidate_project_ids) if p)
    no_project = Finding.make(policy.CAPTURING_USER.name, Verdict.FAIL,
                              Reason.NO_CANDIDATE_PROJECT, effect=Effect.NOT_LOGGED)
    trace.extend(() if projects else (no_project,))
    stopped = _run_gates(ev, projects, trace)
    addresses, side = policy.CONTACT_SIDE.select(ev)
    trace.extend(side)
    outcomes = [o for a in addresses for o in _address_outcomes(ev, a, projects, stopped, trace)]
    # Every contact-side address gets an outcome, even when no project could take it.
    outcomes += [] if projects else [
        Outcome(a, None, OutcomeStatus.NOT_LOGGED, no_project.reason, no_project.detail,
                no_project.rule) for a in addresses]
    if meeting_type is not None:
        outcomes = [replace(o, interaction_type=meeting_type) for o in outcomes]
    quarantine = next((f.reason for f in stopped.values() if f.effect is Effect.QUARANTINED), None)
    return Decision(
        channel=str(ev.channel), message_id=ev.logged.message_id,
        user_id=ev.user.id if ev.user else None,
        outcomes=tuple(sorted(outcomes, key=Outcome.sort_key)), trace=tuple(trace),
        decided_at=decided_at, quarantine_reason=quarantine,
        logged_original=ev.logged is not ev.message, original_verified=original_verified,
    )
