#!/usr/bin/env python3
"""Checks the chart's Grafana dashboard and alerting rules against a real
scrape of the operator's /metrics.

    observability_check.py --scrape FILE [--later-scrape FILE] --dashboard FILE
        --rules FILE --promtool PATH --job NAME --namespace NS --trainingjob NS/NAME

--rules is the rendered PrometheusRule (`helm template ... --show-only
templates/prometheusrule.yaml`); --job and --namespace are the labels the
chart's ServiceMonitor gives the operator's series (the chart name and the
release namespace); --trainingjob is a Running job present in the scrape.
--later-scrape is a scrape of the same operator once the job has ended: the
series only a finished job has (its test accuracy, the time-to-completion
histogram) are in it, and count as scraped for checks 1 to 3.

What it checks:
1. `promtool check metrics` accepts the scrape (exposition format and naming
   conventions).
2. Every metric name in every query of the dashboard (panel targets and
   template variables) is a sample name in the scrape, and every query parses
   (`promtool check rules` over the queries as recording rules, with Grafana's
   variables filled in).
3. The rules file passes `promtool check rules`, every metric name in its
   expressions is in the scrape (`up` aside: Prometheus writes it per target),
   and `promtool test rules` over the scrape's series, held constant, fires no
   alert; then, for each alert, over the same series with the one change that
   should fire it, fires that alert alone, with the expected labels.

Prints one JSON object: {"errors": [...], "dashboardQueries": N,
"dashboardMetrics": [...], "alerts": [...], "samples": N} and exits 1 when
there is any error.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml
from prometheus_client.parser import text_string_to_metric_families

# Series Prometheus itself writes for every scrape target.
SYNTHETIC = {"up"}
PROMQL_WORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
    "inf", "nan", "atan2", "start", "end",
}
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h",
    "$namespace": ".*", "$trainingjob": ".*", "${namespace}": ".*", "${trainingjob}": ".*",
}


def metric_names(expr):
    """The metric names a PromQL expression selects."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"'(?:[^'\\]|\\.)*'", "''", text)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def fill_variables(expr):
    for variable in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
        expr = expr.replace(variable, GRAFANA_VARIABLES[variable])
    return expr


def dashboard_queries(dashboard):
    """(where, expr) of every panel target and template variable query."""
    queries = []

    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels") or [])

    for panel in panels(dashboard.get("panels") or []):
        for target in panel.get("targets") or []:
            if target.get("expr"):
                queries.append(("panel %r %s" % (panel.get("title"), target.get("refId")), target["expr"]))
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        match = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query or "")
        if match:
            queries.append(("variable %s" % variable.get("name"), match.group(1)))
        elif query:
            queries.append(("variable %s" % variable.get("name"), query))
    return queries


def series_name(name, labels):
    inner = ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"')) for k, v in sorted(labels.items()))
    return "%s{%s}" % (name, inner)


def number(value):
    text = ("%.9f" % value).rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def run(arguments, stdin=None):
    result = subprocess.run(arguments, input=stdin, capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--scrape", "--dashboard", "--rules", "--promtool", "--job", "--namespace", "--trainingjob"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--later-scrape", action="append", default=[])
    args = parser.parse_args()
    job_namespace, job_name = args.trainingjob.split("/", 1)
    errors = []
    report = {"errors": errors}

    scrape = open(args.scrape, encoding="utf-8").read()
    status, output = run([args.promtool, "check", "metrics"], stdin=scrape)
    if status != 0:
        errors.append("promtool check metrics: " + output)

    samples = []
    for family in text_string_to_metric_families(scrape):
        for sample in family.samples:
            samples.append((sample.name, dict(sample.labels), sample.value))
    names = {name for name, _, _ in samples}
    for path in args.later_scrape:
        later = open(path, encoding="utf-8").read()
        status, output = run([args.promtool, "check", "metrics"], stdin=later)
        if status != 0:
            errors.append("promtool check metrics (%s): %s" % (os.path.basename(path), output))
        for family in text_string_to_metric_families(later):
            names |= {sample.name for sample in family.samples}
    report["samples"] = len(samples)

    with tempfile.TemporaryDirectory() as directory:
        # 2. The dashboard.
        dashboard = json.load(open(args.dashboard, encoding="utf-8"))
        queries = dashboard_queries(dashboard)
        report["dashboardQueries"] = len(queries)
        used = set()
        recording = []
        for index, (where, expr) in enumerate(queries):
            filled = fill_variables(expr)
            selected = metric_names(filled)
            used |= selected
            if not selected:
                errors.append("dashboard %s selects no metric: %s" % (where, expr))
            for name in sorted(selected - names):
                errors.append("dashboard %s uses %s, which the scrape does not have: %s" % (where, name, expr))
            recording.append({"record": "dashboard:query_%d" % index, "expr": filled})
        report["dashboardMetrics"] = sorted(used)
        dashboard_rules = os.path.join(directory, "dashboard-rules.yaml")
        with open(dashboard_rules, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recording}]}, handle)
        status, output = run([args.promtool, "check", "rules", dashboard_rules])
        if status != 0:
            errors.append("dashboard queries do not all parse: " + output)

        # 3. The rules.
        document = yaml.safe_load(open(args.rules, encoding="utf-8"))
        groups = document["spec"]["groups"]
        rules_file = os.path.join(directory, "rules.yaml")
        with open(rules_file, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"groups": groups}, handle)
        status, output = run([args.promtool, "check", "rules", rules_file])
        if status != 0:
            errors.append("promtool check rules: " + output)
        alerts = {}
        for group in groups:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                alerts[rule["alert"]] = rule
                for name in sorted(metric_names(str(rule["expr"])) - names - SYNTHETIC):
                    errors.append("alert %s uses %s, which the scrape does not have: %s" % (rule["alert"], name, rule["expr"]))
        report["alerts"] = sorted(alerts)

        # The unit tests compare labels only: annotations are templates
        # `promtool check rules` has already parsed.
        bare_groups = [
            {**group, "rules": [{k: v for k, v in rule.items() if k != "annotations"} for rule in group["rules"]]}
            for group in groups
        ]
        bare_file = os.path.join(directory, "rules-bare.yaml")
        with open(bare_file, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"groups": bare_groups}, handle)

        target = {"job": args.job, "namespace": args.namespace, "instance": "10.0.0.1:8080", "pod": "ringmaster-0"}

        def scraped(name, labels):
            # honorLabels: the scraped labels win over the target's.
            return {**target, **labels, "__name__": name}

        base = {}
        for name, labels, value in samples:
            if value != value:  # NaN
                continue
            full = scraped(name, labels)
            base[series_name(name, {k: v for k, v in full.items() if k != "__name__"})] = (full, "%s+0x60" % number(value))
        base[series_name("up", target)] = ({**target, "__name__": "up"}, "1+0x60")

        def find(name, **labels):
            for key, (full, _) in base.items():
                if full["__name__"] == name and all(full.get(k) == v for k, v in labels.items()):
                    return key, full
            errors.append("the scrape has no %s with %s" % (name, labels))
            return None, None

        def expected(labels, alert):
            result = {k: v for k, v in labels.items() if k != "__name__"}
            result.update({k: str(v) for k, v in (alerts.get(alert, {}).get("labels") or {}).items()})
            return result

        the_job = {"namespace": job_namespace, "trainingjob": job_name}
        scenarios = {}
        stalled_after = None
        stalled = alerts.get("RingmasterTrainingJobStalled")
        if stalled:
            match = re.search(r">\s*([0-9.]+)\s*$", str(stalled["expr"]))
            stalled_after = float(match.group(1)) if match else 900
            key, full = find("ringmaster_trainingjob_progress_age_seconds", **the_job)
            if key:
                scenarios["RingmasterTrainingJobStalled"] = (
                    {key: (full, "%s+60x60" % number(stalled_after + 60))}, [expected(full, "RingmasterTrainingJobStalled")])
        if "RingmasterTrainingJobFailed" in alerts:
            key, full = find("ringmaster_trainingjob_status_phase", phase="Failed", **the_job)
            other, other_full = find("ringmaster_trainingjob_status_phase", phase="Running", **the_job)
            if key and other:
                scenarios["RingmasterTrainingJobFailed"] = (
                    {key: (full, "1+0x60"), other: (other_full, "0+0x60")}, [expected(full, "RingmasterTrainingJobFailed")])
        if "RingmasterTrainingJobRestartsClimbing" in alerts:
            key, full = find("ringmaster_trainingjob_restarts_total", **the_job)
            if key:
                scenarios["RingmasterTrainingJobRestartsClimbing"] = (
                    {key: (full, "0+1x60")}, [expected(full, "RingmasterTrainingJobRestartsClimbing")])
        if "RingmasterOperatorDown" in alerts:
            key = series_name("up", target)
            scenarios["RingmasterOperatorDown"] = (
                {key: (base[key][0], "0+0x60")},
                # absent() of a comparison has no labels of its own; the rule names the namespace.
                [expected({}, "RingmasterOperatorDown")])
        if "RingmasterOperatorNotLeading" in alerts:
            key, full = find("leader_election_master_status")
            if key:
                scenarios["RingmasterOperatorNotLeading"] = ({key: (full, "0+0x60")}, [expected({}, "RingmasterOperatorNotLeading")])
        if "RingmasterOperatorReconcileErrors" in alerts:
            errors_key, errors_full = find("controller_runtime_reconcile_errors_total", controller="trainingjob")
            total_key, total_full = find("controller_runtime_reconcile_total", controller="trainingjob", result="error")
            if errors_key and total_key:
                scenarios["RingmasterOperatorReconcileErrors"] = (
                    {errors_key: (errors_full, "0+10x60"), total_key: (total_full, "0+10x60")},
                    [expected({"controller": "trainingjob"}, "RingmasterOperatorReconcileErrors")])
        for alert in sorted(set(alerts) - set(scenarios)):
            errors.append("no scenario fires alert %s" % alert)
        report["scenarios"] = sorted(scenarios)

        def input_series(changes):
            merged = dict(base)
            merged.update(changes)
            return [{"series": key, "values": values} for key, (_, values) in sorted(merged.items())]

        tests = [{
            "name": "the scrape as it is fires nothing",
            "interval": "1m",
            "input_series": input_series({}),
            "alert_rule_test": [{"eval_time": "30m", "alertname": alert, "exp_alerts": []} for alert in sorted(alerts)],
        }]
        for alert, (changes, fired) in sorted(scenarios.items()):
            tests.append({
                "name": "%s fires" % alert,
                "interval": "1m",
                "input_series": input_series(changes),
                "alert_rule_test": [
                    {"eval_time": "30m", "alertname": other, "exp_alerts": [{"exp_labels": labels} for labels in fired] if other == alert else []}
                    for other in sorted(alerts)
                ],
            })
        test_file = os.path.join(directory, "rules-test.yaml")
        with open(test_file, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"rule_files": [bare_file], "evaluation_interval": "1m", "tests": tests}, handle, width=10000)
        status, output = run([args.promtool, "test", "rules", test_file])
        if status != 0:
            errors.append("promtool test rules: " + output[-6000:])

    print(json.dumps(report, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
