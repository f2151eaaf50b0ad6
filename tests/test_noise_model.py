"""The one noise model (ksweep.analysis.noise) and the verdicts built on it: pooled seed
variance, robust to an outlying configuration; diverged and at-chance seeds kept apart;
one seed per configuration says it has no noise estimate, in the analysis and the rules."""

import re
import statistics

from test_analysis import case_analysis, case_text

from ksweep.analysis.noise import ENOUGH_SEEDS, OUTLIER_RATIO, pool, uses_own, with_noise
from ksweep.analysis.stats import summarize, within_noise
from ksweep.sweepers.audit import replay
from ksweep.sweepers.stopping import STOP, ConfigCurve, RuleSettings, verdict


def test_pooled_variance_weights_by_degrees_of_freedom_and_sums_them():
    noise = pool([(1.0, 3.0), (10.0, 11.0, 12.0)])  # variances 2 (df 1) and 1 (df 2)
    assert noise.df == 3 and noise.configurations == 2
    assert noise.variance == (1 * 2.0 + 2 * 1.0) / 3


def test_an_outlying_configuration_cannot_widen_everybody_s_interval():
    calm = [(80.0, 81.0, 80.5), (70.0, 70.8, 71.0), (60.0, 60.4, 61.0)]
    wild = (50.8, 10.0, 44.7)  # one seed at chance
    noise = pool([*calm, wild])
    median = statistics.median(statistics.variance(s) for s in [*calm, wild])
    assert noise.cap == OUTLIER_RATIO * median
    assert noise.variance <= noise.cap
    # ... and that configuration keeps its own, wide interval (unequal variances)
    assert uses_own(wild, noise) and not uses_own(calm[0], noise)
    assert with_noise(summarize(wild), noise).noise == "own"
    assert with_noise(summarize(calm[0]), noise).noise == "pooled"


def test_many_seeds_keep_their_own_interval_and_one_seed_everywhere_has_none():
    many = tuple(90.0 + 0.1 * i for i in range(ENOUGH_SEEDS))
    assert uses_own(many, pool([many, (80.0, 81.0)]))
    none = pool([(90.0,), (80.0,)])
    assert not none.estimated and "no noise estimate" in none.describe()
    assert not with_noise(summarize([90.0]), none).has_interval


def test_a_configuration_with_a_seed_at_chance_is_never_within_noise_of_the_best():
    ranking = case_analysis("seed-at-chance").ranking
    assert ranking.best.name == "config_001"
    assert [g.name for g in ranking.tied] == ["config_004"]
    partly = {g.name: g for g in ranking.ranked}
    assert partly["config_007"].outcomes and partly["config_010"].outcomes


def test_intervals_and_text_never_exceed_the_range_nor_contradict_themselves():
    for case in ("seed-at-chance", "n2-tie", "three-seeds-ties", "all-at-chance", "no-validation"):
        text = case_text(case)
        for low, high in re.findall(r"runs from ([-+]?[\d.]+) to ([-+]?[\d.]+) points", text):
            # a difference of two accuracies lies within +-100 points, and one said to be
            # within noise holds 0: "+42.59 to +91.86 ... within noise" cannot be written
            assert -100 <= float(low) <= 0 <= float(high) <= 100, (case, low, high)
        assert not re.search(r"\bwould[.;]", text), f"a sentence cut short in {case}"
        assert "(Welch)," not in text


def test_within_noise_is_the_difference_interval_holding_zero():
    a, b = summarize([80.0, 80.5, 81.0]), summarize([83.0, 83.4, 82.6])
    noise = pool([a.values, b.values])
    assert not within_noise(with_noise(a, noise), with_noise(b, noise))
    c = summarize([80.2, 80.9, 80.4])
    assert within_noise(with_noise(a, noise), with_noise(c, noise))


def curve(name, values, seeds=1):
    return ConfigCurve(name, {e: tuple(v) for e, v in values.items()}, seeds, (None,) * seeds)


def test_a_one_seed_asha_stop_says_it_had_no_noise_estimate_and_the_audit_never_calls_it_safe():
    asha = RuleSettings("asha", grace=1, factor=2)
    configs = [curve("config_001", {1: [51.39]}), curve("config_002", {1: [50.0]})]
    judged = verdict(asha, configs, "config_002", 1, "val/acc", "max")
    # One seed: the published rule on single values, and the decision says so plainly.
    assert judged.action == STOP
    assert "no noise estimate" in judged.evidence["summary"]
    assert judged.evidence["noise"] == "no noise estimate (one seed per configuration)"
    curves = {
        "config_001": [{1: 51.39, 2: 60.0, 3: 70.0}],
        "config_002": [{1: 50.0, 2: 59.0, 3: 69.0}],
    }
    replayed = replay(asha, curves, 3, "val/acc", "max")
    assert replayed.stopped_at == {"config_002": 1}
    assert all("no noise estimate" in d["summary"] for d in replayed.decisions)


def test_with_seeds_the_rung_pools_the_noise_and_stops_only_past_the_whole_interval():
    asha = RuleSettings("asha", grace=1, factor=2)
    close = [
        curve("config_001", {1: [60.0, 61.0, 62.0]}, 3),
        curve("config_002", {1: [59.0, 60.0, 61.0]}, 3),
    ]
    assert verdict(asha, close, "config_002", 1, "val/acc", "max").action != STOP
    apart = [
        curve("config_001", {1: [60.0, 61.0, 62.0]}, 3),
        curve("config_002", {1: [50.0, 51.0, 52.0]}, 3),
    ]
    judged = verdict(asha, apart, "config_002", 1, "val/acc", "max")
    assert (
        judged.action == STOP and "pooled over 2 configurations (df=4)" in judged.evidence["noise"]
    )
