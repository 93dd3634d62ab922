"""Write the example notebooks from the cell sources below, without outputs.

Edit the cells here, then run ``python notebooks/_build.py`` and commit both this file and
the ``.ipynb`` files. ``tests/test_notebooks.py`` executes every notebook and checks that
the committed files are exactly what this script writes.

Cells are ``("md", text)`` or ``("code", text)``; cell ids are derived from the notebook name
and the cell's position, so rebuilding an unchanged notebook gives an identical file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

Cell = tuple[str, str]

#: The lift table every notebook shows: the adjusted interval of the relative lift (at
#: `ci_level_adj`, the level the correction decides at) beside `pvalue_adj` and
#: `significant`, so a row is significant exactly when its interval excludes 0.
LIFT_TABLE: Cell = (
    "code",
    """
    report.table[["segment", "metric", "treatment", "n_control", "n_treatment",
                  "mean_control", "mean_treatment", "rel_lift", "rel_lift_low_adj",
                  "rel_lift_high_adj", "ci_level_adj", "pvalue_adj", "significant"]].round(4)
    """,
)

QUICKSTART: list[Cell] = [
    (
        "md",
        """
    # segwise quickstart

    Segment the customers of an online music store (CDNOW) by **recency, frequency and
    monetary value**, check how well separated the segments are, then measure an e-mail
    campaign's **lift in each segment** on Hillstrom's randomized experiment.

    Everything below is segwise's public API; the estimators behave like scikit-learn's
    (DataFrame in, DataFrame out with the same index).
    """,
    ),
    (
        "code",
        """
    import pandas as pd
    from segwise.datasets import load_cdnow

    tx = load_cdnow()  # 69,659 purchases of 23,570 customers, 1997-01 to 1998-06
    tx.head()
    """,
    ),
    (
        "md",
        """
    ## One row per customer

    * **recency**: days from the customer's last purchase to the end of the log;
    * **frequency**: number of distinct purchase days;
    * **monetary**: total spend.

    (`segwise.rfm.rfm_table` computes the same in one pass, with more options; see
    notebook 02.)
    """,
    ),
    (
        "code",
        """
    end = tx["date"].max()
    by_customer = tx.groupby("customer_id")
    rfm = pd.DataFrame({
        "recency_days": (end - by_customer["date"].max()).dt.days,
        "frequency": by_customer["date"].nunique(),
        "monetary": by_customer["dollar_value"].sum(),
    })
    rfm.describe().round(2)
    """,
    ),
    (
        "md",
        """
    ## Scale

    Frequency and spend are very right-skewed: a few big buyers would dominate every
    distance. `log1p` compresses the tail, then standard scaling puts the three features
    on the same footing, so that k-means weighs them equally.
    """,
    ),
    (
        "code",
        """
    from segwise.preprocessing import Log1pTransformer, StandardScaler

    X = StandardScaler().fit_transform(Log1pTransformer().fit_transform(rfm))
    X.head()  # a DataFrame with the customers' index
    """,
    ),
    (
        "md",
        """
    ## k-means and the silhouette

    The silhouette (between -1 and 1) compares each customer's distance to its own segment
    with the distance to the nearest other segment; higher means better separated.
    """,
    ),
    (
        "code",
        """
    from segwise.cluster import KMeans
    from segwise.metrics import silhouette_score

    km = KMeans(n_clusters=4, random_state=0).fit(X)
    print(f"silhouette = {silhouette_score(X, km.labels_):.3f}")
    """,
    ),
    (
        "md",
        """
    ## Segment sizes and profiles

    The profile is the mean of the *original* (unscaled) features per segment: that is
    what a marketer can read.
    """,
    ),
    (
        "code",
        """
    segments = rfm.assign(segment=km.labels_)
    ax = segments["segment"].value_counts().sort_index().plot.bar(
        title="customers per segment", xlabel="segment", ylabel="customers")
    """,
    ),
    (
        "code",
        """
    profile = segments.groupby("segment").agg(
        customers=("monetary", "size"),
        recency_days=("recency_days", "mean"),
        frequency=("frequency", "mean"),
        monetary=("monetary", "mean"),
    )
    profile["share"] = profile["customers"] / profile["customers"].sum()
    profile.round(2)
    """,
    ),
    (
        "md",
        """
    ## Did the campaign lift each segment?

    CDNOW has no experiment, so this step uses Kevin Hillstrom's e-mail test: 64,000
    customers randomly sent a men's e-mail, a women's e-mail or no e-mail (the arm is in
    the column called `segment`). Here the segments are the customers' zip-code areas;
    notebook 03 uses k-means segments instead.

    `segment_lift` compares every arm with the control in every segment, on every metric:
    means, absolute and relative lift with confidence intervals, p-values adjusted for
    multiple testing (Benjamini-Hochberg by default) and a sample-ratio check.
    """,
    ),
    (
        "code",
        """
    from segwise.abtest import segment_lift
    from segwise.datasets import load_hillstrom

    df = load_hillstrom()
    report = segment_lift(df, segment="zip_code", variant="segment", control="No E-Mail",
                          metrics=["visit", "conversion", "spend"])
    print(report.summary())
    """,
    ),
    (
        "md",
        """
    The forest plot shows the relative lift and its confidence interval per segment and
    e-mail; the pooled `(all)` row is the whole experiment. Red rows are significant after
    the multiple-testing correction, and their intervals are the adjusted ones, so every
    red bar excludes 0 and every grey bar crosses it.
    """,
    ),
    (
        "code",
        """
    ax = report.plot("conversion")
    """,
    ),
    (
        "md",
        """
    The table below has the same intervals: `rel_lift_low_adj` / `rel_lift_high_adj` are
    drawn at the level the multiple-testing correction decides at (`ci_level_adj`), so a
    row is `significant` exactly when its interval excludes 0. `report.table` also has the
    unadjusted 95% intervals that match the raw `pvalue`.
    """,
    ),
    LIFT_TABLE,
]

RFM_PERSONAS: list[Cell] = [
    (
        "md",
        """
    # RFM segments and personas on CDNOW

    Two ways to segment customers by **recency, frequency and monetary value (RFM)**:

    1. **rule-based RFM scores**: each customer gets a 1-5 score per dimension and a named
       segment ("Champions", "At Risk", ...) from a fixed map;
    2. **k-means** on the log-scaled RFM values: segments found in the data.

    Then we compare them and describe each k-means segment.
    """,
    ),
    (
        "code",
        """
    import pandas as pd
    from segwise.datasets import load_cdnow
    from segwise.rfm import rfm_scores, rfm_table

    tx = load_cdnow()
    table = rfm_table(tx, customer="customer_id", date="date", amount="dollar_value")
    table.head()
    """,
    ),
    (
        "md",
        """
    `rfm_table` merges purchases of the same customer on the same day (as `lifetimes`
    does) and measures the window up to the last transaction. With the default
    `convention="segmentation"`, `recency` is days since the last purchase, `frequency`
    counts every purchase day (the first one included) and `monetary` is the total spend.
    (`convention="btyd"` gives `lifetimes`' inputs for buy-till-you-die models.)
    """,
    ),
    (
        "md",
        """
    ## RFM scores and named segments

    Scores are quantile ranks 1..5 (recent, frequent, big spenders score 5). Ties are
    never split: CDNOW has many one-time buyers, so they all share the lowest frequency
    score. The named segments come from the common recency-frequency map (`"rf_map"`;
    `"rfm_package"` is the R rfm package's table).
    """,
    ),
    (
        "code",
        """
    scores = rfm_scores(table, segments="rf_map")
    scores.head()
    """,
    ),
    (
        "code",
        """
    named = scores["segment"].value_counts()
    ax = named.sort_values().plot.barh(title="customers per named RFM segment")
    """,
    ),
    (
        "md",
        """
    ## k-means on log-scaled RFM

    The rules above are fixed in advance; k-means lets the data draw the borders. Spend and
    frequency are right-skewed, so we take `log1p` before standard scaling; otherwise the
    few biggest buyers would decide the segments alone.
    """,
    ),
    (
        "code",
        """
    from segwise.cluster import KMeans
    from segwise.metrics import silhouette_score
    from segwise.preprocessing import Log1pTransformer, StandardScaler

    features = table[["recency", "frequency", "monetary"]]
    X = StandardScaler().fit_transform(Log1pTransformer().fit_transform(features))
    X.describe().round(2)
    """,
    ),
    (
        "md",
        """
    ## How many segments?

    `segwise.stability.choose_k` fits k-means for every k and puts the usual criteria in one
    table: inertia and its knee, silhouette, Calinski-Harabasz, Davies-Bouldin, the gap
    statistic (R's `cluster::clusGap`), prediction strength (R's `fpc`) and bootstrap
    agreement (R's `flexclust`). It recommends the largest k whose segments are stable and
    not tiny, and says why and which criteria agree. The silhouette alone often prefers
    k = 2, which is rarely useful for a marketing plan.
    """,
    ),
    (
        "code",
        """
    from segwise.stability import choose_k

    choice = choose_k(X, range(2, 9), random_state=0, progress=False)
    print(choice.reason)
    axes = choice.plot()
    choice.table.round(3)
    """,
    ),
    (
        "code",
        """
    k = choice.recommended_k
    km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
    print(f"k = {k}: silhouette = {silhouette_score(X, km.labels_):.3f}")
    """,
    ),
    (
        "md",
        """
    ## Are the segments real?

    A segment that disappears when the customers are resampled is an artefact of the
    algorithm, not a group to design a campaign for. `bootstrap_stability` (Hennig's
    clusterboot) refits k-means on bootstrap samples and reports, per segment, how well it
    is recovered (mean Jaccard similarity; above 0.75 is usually called stable).
    """,
    ),
    (
        "code",
        """
    from segwise.stability import bootstrap_stability

    stability = bootstrap_stability(X, km, n_boot=50, random_state=0, progress=False)
    print(stability.summary())
    ax = stability.plot()
    """,
    ),
    (
        "md",
        """
    ## k-means segments against the named RFM segments

    Each column is a k-means segment; the rows show which named RFM segments it gathers.
    """,
    ),
    (
        "code",
        """
    customers = table.assign(segment=km.labels_, rfm_segment=scores["segment"])
    pd.crosstab(customers["rfm_segment"], customers["segment"])
    """,
    ),
    (
        "md",
        """
    ## Personas

    `profile_segments` compares every segment with the whole population, feature by
    feature (with a significance test and a Benjamini-Hochberg correction), marks the
    features that set it apart and proposes a persona name.
    """,
    ),
    (
        "code",
        """
    from segwise.profile import profile_segments

    profile = profile_segments(
        customers, "segment", ["recency", "frequency", "monetary", "tenure"],
        descriptors={
            "recency": ("more recent", "less recent"),
            "frequency": ("less frequent", "more frequent"),
            "monetary": ("lower spend", "higher spend"),
            "tenure": ("newer", "longer-standing"),
        },
    )
    for segment, row in profile.segments.iterrows():
        print(f"{segment}: {row['description']}")
    ax = profile.plot()
    profile  # a heat map of every segment against the population, with persona names
    """,
    ),
    (
        "md",
        """
    ## The segment table

    One row per k-means segment, sorted by mean spend: size, share, mean RFM values and
    the most common named RFM segment in it.
    """,
    ),
    (
        "code",
        """
    segment_table = customers.groupby("segment").agg(
        customers=("monetary", "size"),
        recency=("recency", "mean"),
        frequency=("frequency", "mean"),
        monetary=("monetary", "mean"),
        spend_per_purchase=("monetary_mean", "mean"),
        top_rfm_segment=("rfm_segment", lambda s: s.value_counts().index[0]),
    )
    segment_table.insert(1, "share", segment_table["customers"] / len(customers))
    segment_table.sort_values("monetary", ascending=False).round(2)
    """,
    ),
]

HILLSTROM_LIFT: list[Cell] = [
    (
        "md",
        """
    # Per-segment lift on Hillstrom's e-mail experiment

    In 2008 Kevin Hillstrom (MineThatData) published a randomized test: 64,000 customers
    who had bought within a year were randomly sent a **men's merchandise e-mail**, a
    **women's merchandise e-mail**, or **no e-mail**; visits, conversions and spend were
    recorded for two weeks.

    Question: *which kinds of customers respond to which e-mail?* We build segments from
    what was known **before** the test, then measure each e-mail's lift in each segment.

    Careful with the names: in this dataset the column `segment` is the randomized *arm*.
    We call our customer segments `persona`.
    """,
    ),
    (
        "code",
        """
    import pandas as pd
    from segwise.datasets import load_hillstrom

    df = load_hillstrom()
    print(df["segment"].value_counts())
    df.head()
    """,
    ),
    (
        "md",
        """
    ## Segments from pre-treatment columns only

    Segments must be defined by what the treatment cannot change; a segment built from
    visits or spend *after* the e-mail would mix the effect into the grouping and bias every
    comparison. We use recency (months since the last purchase), past spend (`history`,
    log-transformed), whether the customer bought men's or women's merchandise, and
    whether the customer is new.
    """,
    ),
    (
        "code",
        """
    from segwise.cluster import KMeans
    from segwise.metrics import silhouette_score
    from segwise.preprocessing import Log1pTransformer, StandardScaler

    features = ["recency", "history", "mens", "womens", "newbie"]
    X = StandardScaler().fit_transform(
        Log1pTransformer(columns=["history"]).fit_transform(df[features]))
    km = KMeans(n_clusters=4, random_state=0).fit(X)
    df["persona"] = km.labels_
    score = silhouette_score(X, km.labels_, sample_size=10_000, random_state=0)
    print(f"silhouette (10,000-customer sample) = {score:.3f}")
    df.groupby("persona")[features].mean().round(2).assign(
        customers=df["persona"].value_counts().sort_index())
    """,
    ),
    (
        "md",
        """
    ## Balance check

    Because the arms were assigned at random, and the personas depend only on
    pre-treatment data, every persona should be split about a third / a third / a third.
    A clear departure (a **sample ratio mismatch**, SRM) means the assignment or the
    logging is broken for those customers, and their lift cannot be trusted. `segment_lift`
    tests it in every segment (chi-square against the planned split) and flags p < 0.001.
    """,
    ),
    (
        "code",
        """
    pd.crosstab(df["persona"], df["segment"], normalize="index").round(3)
    """,
    ),
    (
        "md",
        """
    ## Lift per persona

    Each e-mail is compared with no e-mail in every persona, on three metrics. `visit` and
    `conversion` are 0/1, so segwise uses the two-proportion z-test with Newcombe's
    interval; `spend` is continuous (Welch's t-test). The `(all)` rows pool every persona.
    """,
    ),
    (
        "code",
        """
    from segwise.abtest import segment_lift

    report = segment_lift(df, segment="persona", variant="segment", control="No E-Mail",
                          metrics=["visit", "conversion", "spend"])
    print(report.summary())
    """,
    ),
    (
        "md",
        """
    ## Multiple testing

    4 personas x 3 metrics x 2 e-mails = 24 tests. At alpha = 0.05, about one of them
    would look "significant" by chance even if no e-mail did anything. The `significant`
    column therefore uses **adjusted** p-values: Benjamini-Hochberg (`adjust="bh"`, the
    default) controls the false discovery rate, the share of false findings among the
    reported ones, and Benjamini-Yekutieli (`"by"`) does so under any dependence between
    the tests; Holm, Hochberg, Hommel, Bonferroni and Sidak control the family-wise error
    rate, the chance of any false finding, and are stricter. The `(all)` rows form a
    family of their own.

    Each correction decides by comparing the raw p-values with one per-comparison level
    (Bonferroni: alpha / 24; BH: R alpha / 24 with R the number of significant rows; ...).
    The report's `*_adj` intervals are drawn at that level (`ci_level_adj`), so a row is
    significant exactly when its adjusted interval excludes 0.
    """,
    ),
    (
        "code",
        """
    per_persona = report.table["segment"] != "(all)"
    counts = {"unadjusted": int((report.table.loc[per_persona, "pvalue"] < 0.05).sum())}
    for adjust in ["bh", "by", "holm", "hochberg", "hommel", "bonferroni", "sidak"]:
        table = segment_lift(df, segment="persona", variant="segment", control="No E-Mail",
                             metrics=["visit", "conversion", "spend"], adjust=adjust).table
        counts[adjust] = int(table.loc[table["segment"] != "(all)", "significant"].sum())
    pd.Series(counts, name="significant persona rows (of 24)")
    """,
    ),
    (
        "md",
        """
    ## Sample ratio and heterogeneity

    The SRM p-value per persona and e-mail (high is good), then the report-level warnings.
    The heterogeneity table asks whether the lift really differs between personas
    (Cochran's Q and I²): a lift that is significant in one persona and not in another is
    not, by itself, evidence that the personas respond differently.
    """,
    ),
    (
        "code",
        """
    srm = report.table.groupby(["segment", "treatment"], sort=False)[
        ["n_control", "n_treatment", "srm_pvalue", "srm_flag"]].first()
    print(report.warnings or "no report-level warnings")
    srm.round(4)
    """,
    ),
    (
        "code",
        """
    report.heterogeneity.round(4)
    """,
    ),
    (
        "md",
        """
    ## Forest plot

    Relative lift in spend with its interval, per persona and e-mail; red marks the rows
    significant after the adjustment. The bar and the colour come from the same test and
    the same correction: the interval is Fieller's interval of the ratio of the means with
    Welch's degrees of freedom (it inverts the row's Welch t-test) at the level
    Benjamini-Hochberg decides at. So every red bar excludes zero and every grey bar
    crosses it. (For the 0/1 metrics the report uses Koopman's interval of the ratio of
    proportions, which inverts the pooled z-test.)
    """,
    ),
    (
        "code",
        """
    ax = report.plot("spend")
    """,
    ),
    (
        "md",
        """
    ## The report table

    One row per persona x metric x e-mail (plus the pooled rows), with the adjusted
    interval of the relative lift and its level; `report.table` has more columns
    (absolute differences, the unadjusted 95% intervals that match `pvalue`, test
    statistics, probability to beat control, ...).
    """,
    ),
    LIFT_TABLE,
]

MIXED_TYPES: list[Cell] = [
    (
        "md",
        """
    # Segments from numeric and categorical columns: Hillstrom with k-prototypes

    Real customer tables mix numbers (recency, past spend) with categories (region,
    channel, the product lines bought). One-hot encoding the categories for k-means gives
    every level the weight of a standardized number and lets rare levels drive the
    clusters. **k-prototypes** (Huang 1997) clusters both together: squared distance on
    the numeric columns plus `gamma` per categorical mismatch; **k-modes** is the
    all-categorical case. Prototypes come back as levels, and the personas say "62 % web,
    mostly urban".

    The data: Hillstrom's e-mail experiment (64,000 customers), pre-treatment columns
    only, then the lift of each e-mail per persona.
    """,
    ),
    (
        "code",
        """
    import pandas as pd

    from segwise.datasets import load_hillstrom
    from segwise.preprocessing import Log1pTransformer, StandardScaler

    df = load_hillstrom()
    numeric = ["recency", "history"]
    categorical = ["mens", "womens", "zip_code", "newbie", "channel"]
    # mens, womens and newbie are 0/1 flags: as booleans they are categorical columns
    table = df[numeric + categorical].astype({"mens": bool, "womens": bool, "newbie": bool})
    scaled = StandardScaler().fit_transform(
        Log1pTransformer(columns=["history"]).fit_transform(table[numeric]))
    X = pd.concat([scaled, table[categorical]], axis=1)
    X.dtypes
    """,
    ),
    (
        "md",
        """
    ## k-prototypes

    Columns are numeric or categorical by their dtype (category, object, string, bool are
    categorical), or by `categorical=[...]`. `gamma=None` uses kmodes' rule (half the mean
    standard deviation of the numeric columns; `gamma="lambdaest"` is clustMixType's);
    `gamma_` reports the value used. The default `algorithm="lloyd"` is a batch update
    parallel over rows; `algorithm="huang"` reproduces kmodes' `KPrototypes` from the same
    initial prototypes.
    """,
    ),
    (
        "code",
        """
    from segwise.cluster import KPrototypes

    model = KPrototypes(n_clusters=4, n_init=4, random_state=0).fit(X)
    print(f"gamma = {model.gamma_:.3f}, cost = {model.cost_:,.0f}, iterations = {model.n_iter_}")
    model.prototypes_
    """,
    ),
    (
        "md",
        """
    ## How many segments, and are they stable?

    `choose_k` and `bootstrap_stability` take any clusterer with `fit`/`predict`. With
    k-prototypes the silhouette uses its own distance (the square root of the cost), and
    prediction strength and the bootstrap ARI refit it on halves and resamples. On a
    random sample of 4,000 customers to keep the notebook quick.
    """,
    ),
    (
        "code",
        """
    from segwise.stability import bootstrap_stability, choose_k

    sample = X.sample(4_000, random_state=0)
    choice = choose_k(sample, range(2, 7), estimator=KPrototypes(2), n_splits=5, n_boot=5,
                      random_state=0, progress=False)
    print(choice.summary())
    stability = bootstrap_stability(sample, KPrototypes(4, random_state=0), n_boot=20,
                                    random_state=0, progress=False)
    print(stability.summary())
    """,
    ),
    (
        "md",
        """
    ## Personas with categorical shares

    `profile_segments` profiles the categorical columns too: per segment the share of each
    level, its **index** against the whole base (segment share / overall share x 100, the
    figure marketers read), a chi-square test per column and adjusted standardized
    residuals per level, with the same Benjamini-Hochberg adjustment as the numeric
    columns. Persona names come from the over-represented levels and features.
    """,
    ),
    (
        "code",
        """
    from segwise.profile import profile_segments

    words = {
        "mens": {True: "men's line buyers", False: "non-buyers of the men's line"},
        "womens": {True: "women's line buyers", False: "non-buyers of the women's line"},
        "newbie": {True: "new customers", False: "returning customers"},
        "recency": ("more recent", "less recent"),
        "history": ("lower past spend", "higher past spend"),
    }
    profile = profile_segments(table, model.labels_, categorical=categorical, descriptors=words)
    print(profile.summary())
    profile.shares("zip_code", "index").round(0)
    """,
    ),
    (
        "code",
        """
    profile.tests.round(4)
    """,
    ),
    (
        "md",
        """
    ## Lift of each e-mail per persona

    The personas depend only on pre-treatment columns, so the randomized arms stay
    balanced within each of them; `segment_lift` compares each e-mail with no e-mail.
    """,
    ),
    (
        "code",
        """
    from segwise.abtest import segment_lift

    names = {seg: f"S{seg}: {name}" for seg, name in profile.segments["name"].items()}
    df["persona"] = pd.Series(model.labels_, index=df.index).map(names)
    report = segment_lift(df, segment="persona", variant="segment", control="No E-Mail",
                          metrics=["visit", "conversion", "spend"])
    print(report.summary())
    """,
    ),
    LIFT_TABLE,
]

CLV_CDNOW: list[Cell] = [
    (
        "md",
        """
    # Customer lifetime value per segment (CDNOW)

    Which segments are worth the most? We fit the buy-till-you-die models of Fader, Hardie
    and Lee on CDNOW's transaction log: **BG/NBD** for how often customers buy and when they
    drop out, **Gamma-Gamma** for how much they spend per purchase. First we check the model
    on a period it has not seen, then we price the next year of every customer and sum it up
    per segment, with bootstrap intervals.
    """,
    ),
    (
        "code",
        """
    from segwise.clv import (
        BetaGeoModel,
        GammaGammaModel,
        ParetoNBDModel,
        calibration_holdout,
        holdout_check,
        segment_clv,
    )
    from segwise.datasets import load_cdnow
    from segwise.rfm import rfm_table

    tx = load_cdnow()
    tx.head()
    """,
    ),
    (
        "md",
        """
    ## Does the model predict a period it has not seen?

    `calibration_holdout` summarises each customer's purchases up to 1997-09-30 (frequency =
    repeat purchase days, recency and T in days) and counts their purchase days after it.
    `holdout_check` fits BG/NBD on the calibration part and compares the expected with the
    actual holdout purchases, by number of repeat purchases in calibration.
    """,
    ),
    (
        "code",
        """
    split = calibration_holdout(tx, "1997-09-30", amount="dollar_value")
    check = holdout_check(BetaGeoModel(), split)
    ax = check.plot()
    check
    """,
    ),
    (
        "md",
        """
    ## Fit on the whole log

    The estimates come with standard errors from the observed information; Pareto/NBD is
    the older model BG/NBD simplifies, and the two should tell a similar story. A handful of
    repeat buyers only ever returned goods ($0 on net): they carry no spend information and
    are left out.
    """,
    ),
    (
        "code",
        """
    summary = rfm_table(tx, amount="dollar_value", convention="btyd")
    summary = summary[(summary["frequency"] == 0) | (summary["monetary_value"] > 0)]
    bg = BetaGeoModel().fit(summary)
    gg = GammaGammaModel().fit(summary)
    print(ParetoNBDModel().fit(summary).summary())
    bg.summary()
    """,
    ),
    (
        "code",
        """
    value = summary.assign(
        p_alive=bg.conditional_probability_alive(summary),
        next_year_purchases=bg.conditional_expected_number_of_purchases_up_to_time(365, summary),
        clv=gg.customer_lifetime_value(bg, summary, time=12, discount_rate=0.01, freq="D"),
    )
    value.sort_values("clv", ascending=False).head().round(2)
    """,
    ),
    (
        "md",
        """
    ## Value per segment

    Any segmentation works; here the classic RFM map of `rfm_scores`. `segment_clv` gives
    each segment's mean and total 12-month CLV, expected purchases and P(alive), with 95%
    intervals from 200 bootstrap replicates (customers resampled within their segment).
    """,
    ),
    (
        "code",
        """
    from segwise.rfm import rfm_scores

    named = rfm_scores(rfm_table(tx, amount="dollar_value"))["segment"]
    res = segment_clv(summary, named, model=bg, spend_model=gg, random_state=0, progress=False)
    ax = res.plot()
    res.table.sort_values("clv_total", ascending=False)[
        ["customers", "clv", "clv_lower", "clv_upper", "clv_total", "p_alive"]
    ].round(2)
    """,
    ),
]


NOTEBOOKS: dict[str, list[Cell]] = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_rfm_personas_cdnow.ipynb": RFM_PERSONAS,
    "03_segment_lift_hillstrom.ipynb": HILLSTROM_LIFT,
    "04_mixed_types_hillstrom.ipynb": MIXED_TYPES,
    "05_clv_cdnow.ipynb": CLV_CDNOW,
}


def build(cells: list[Cell], name: str) -> nbformat.NotebookNode:
    """One notebook, without outputs, with ids derived from ``name`` and positions."""
    stem = Path(name).stem
    nb = new_notebook(
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
    )
    for i, (kind, text) in enumerate(cells):
        source = dedent(text).strip("\n")
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"{stem}-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(out_dir: Path = HERE) -> None:
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(cells, name), out_dir / name)
        print(f"wrote {out_dir / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
