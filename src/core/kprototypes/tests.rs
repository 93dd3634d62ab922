use ndarray::{array, Array2};
use rand::Rng;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::*;

/// [`super::fit`] without a stop request, as the tests run it.
fn fit(
    x: &MixedView<'_>,
    weights: Option<&[f64]>,
    params: &Checked<KPrototypesParams>,
    init: &Init<'_>,
) -> CoreResult<KPrototypesFit> {
    super::fit(x, weights, params, init, &Interrupt::new())
}

/// `n` rows around `k` groups: 2 numeric columns and 2 categorical ones with 3 and 4
/// levels, each group favouring its own level.
fn groups(n: usize, k: usize, seed: u64) -> (Array2<f64>, Array2<i32>, Vec<usize>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut num = Array2::<f64>::zeros((n, 2));
    let mut cat = Array2::<i32>::zeros((n, 2));
    for i in 0..n {
        let g = i % k;
        num[[i, 0]] = 4.0 * g as f64 + rng.gen::<f64>();
        num[[i, 1]] = -2.0 * g as f64 + rng.gen::<f64>();
        let noisy = rng.gen::<f64>() < 0.2;
        cat[[i, 0]] = if noisy {
            rng.gen_range(0..3)
        } else {
            (g % 3) as i32
        };
        cat[[i, 1]] = if noisy {
            rng.gen_range(0..4)
        } else {
            (g % 4) as i32
        };
    }
    (num, cat, vec![3, 4])
}

fn params(k: usize, algorithm: Algorithm, n_init: usize) -> Checked<KPrototypesParams> {
    KPrototypesParams {
        n_clusters: k,
        n_init,
        max_iter: 100,
        gamma: 0.5,
        algorithm,
        seed: 7,
    }
    .check()
    .unwrap()
}

fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn a_worked_example_by_hand() {
    // Rows 0-1 near (0, "a"), rows 2-3 near (10, "b"); start from rows 0 and 3.
    let num = array![[0.0], [1.0], [9.0], [10.0]];
    let cat = array![[0], [0], [1], [1]];
    let levels = [2usize];
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let start_num = array![[0.0], [10.0]];
    let start_cat = array![[0], [1]];
    for algorithm in [Algorithm::Huang, Algorithm::Lloyd] {
        let fit = fit(
            &view,
            None,
            &params(2, algorithm, 1),
            &Init::Given(start_num.view(), start_cat.view()),
        )
        .unwrap();
        assert_eq!(fit.labels.to_vec(), vec![0, 0, 1, 1]);
        assert_eq!(fit.prototypes.numeric, vec![0.5, 9.5]);
        assert_eq!(fit.prototypes.categorical, vec![0, 1]);
        // Each row is 0.5 away: 0.25 each, no mismatch.
        assert_eq!(fit.cost, 1.0);
    }
}

#[test]
fn huang_moves_a_row_at_once() {
    // Row 2 (5.5, "a") starts with the right prototype (6, "b") by cost 0.25 + 0.5 * 1 =
    // 0.75 < 4.5^2; once the means settle it moves, and the cost goes down.
    let num = array![[0.0], [1.0], [5.5], [9.0], [10.0]];
    let cat = array![[0], [0], [0], [1], [1]];
    let levels = [2usize];
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let fit = fit(&view, None, &params(2, Algorithm::Huang, 1), &Init::Cao).unwrap();
    let labels = fit.labels.to_vec();
    assert_eq!(labels[0], labels[1]);
    assert_eq!(labels[3], labels[4]);
    assert_ne!(labels[0], labels[4]);
    let (check, cost) = labels_cost(
        &view,
        None,
        ndarray::ArrayView2::from_shape((2, 1), &fit.prototypes.numeric).unwrap(),
        ndarray::ArrayView2::from_shape((2, 1), &fit.prototypes.categorical).unwrap(),
        0.5,
        &Interrupt::new(),
    )
    .unwrap();
    assert_eq!(check.to_vec(), labels);
    assert!((cost - fit.cost).abs() < 1e-12);
}

#[test]
fn lloyd_ends_at_a_fixed_point_and_agrees_with_huang_on_clear_groups() {
    let (num, cat, levels) = groups(3000, 4, 1);
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let lloyd = fit(
        &view,
        None,
        &params(4, Algorithm::Lloyd, 3),
        &Init::PlusPlus,
    )
    .unwrap();
    let p = &lloyd.prototypes;
    // Prototypes are the means and modes of their rows; labels the closest prototype.
    for c in 0..4 {
        let rows: Vec<usize> = (0..3000).filter(|&i| lloyd.labels[i] == c as i32).collect();
        assert!(!rows.is_empty());
        let mean: f64 = rows.iter().map(|&i| num[[i, 0]]).sum::<f64>() / rows.len() as f64;
        assert!((mean - p.numeric[c * 2]).abs() < 1e-9);
        for j in 0..2 {
            let mut counts = vec![0.0; levels[j]];
            for &i in &rows {
                counts[cat[[i, j]] as usize] += 1.0;
            }
            assert_eq!(p.categorical[c * 2 + j], mode_of(&counts));
        }
    }
    let pn = ndarray::ArrayView2::from_shape((4, 2), &p.numeric).unwrap();
    let pc = ndarray::ArrayView2::from_shape((4, 2), &p.categorical).unwrap();
    assert_eq!(
        predict(&view, pn, pc, 0.5, &Interrupt::new()).unwrap(),
        lloyd.labels
    );
    let huang = fit(
        &view,
        None,
        &params(4, Algorithm::Huang, 3),
        &Init::PlusPlus,
    )
    .unwrap();
    assert!((huang.cost - lloyd.cost).abs() <= 1e-9 * lloyd.cost);
}

#[test]
fn same_bits_on_one_and_two_threads() {
    let (num, cat, levels) = groups(20_000, 5, 2);
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let w: Vec<f64> = (0..20_000).map(|i| 1.0 + (i % 7) as f64).collect();
    for (algorithm, init) in [
        (Algorithm::Lloyd, Init::PlusPlus),
        (Algorithm::Lloyd, Init::Huang),
        (Algorithm::Huang, Init::Random),
        (Algorithm::Lloyd, Init::Cao),
    ] {
        let run = || fit(&view, Some(&w), &params(5, algorithm, 3), &init).unwrap();
        let (one, two) = (on_threads(1, run), on_threads(2, run));
        assert_eq!(one.labels, two.labels);
        assert_eq!(one.cost.to_bits(), two.cost.to_bits());
        assert_eq!(one.prototypes, two.prototypes);
    }
}

#[test]
fn integer_weights_are_repeated_rows() {
    let (num, cat, levels) = groups(600, 3, 3);
    let w: Vec<f64> = (0..600).map(|i| (i % 3) as f64 + 1.0).collect();
    let mut rows = Vec::new();
    for (i, &wi) in w.iter().enumerate() {
        rows.extend(std::iter::repeat_n(i, wi as usize));
    }
    let rep_num = num.select(ndarray::Axis(0), &rows);
    let rep_cat = cat.select(ndarray::Axis(0), &rows);
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let rep = MixedView::new(rep_num.view(), rep_cat.view(), &levels, false).unwrap();
    let start_num = num.select(ndarray::Axis(0), &[0, 1, 2]);
    let start_cat = cat.select(ndarray::Axis(0), &[0, 1, 2]);
    let init = Init::Given(start_num.view(), start_cat.view());
    let a = fit(&view, Some(&w), &params(3, Algorithm::Lloyd, 1), &init).unwrap();
    let b = fit(&rep, None, &params(3, Algorithm::Lloyd, 1), &init).unwrap();
    assert!((a.cost - b.cost).abs() <= 1e-9 * b.cost);
    assert_eq!(a.prototypes.categorical, b.prototypes.categorical);
    let expanded: Vec<i32> = rows.iter().map(|&i| a.labels[i]).collect();
    assert_eq!(expanded, b.labels.to_vec());
}

#[test]
fn k_modes_is_the_case_without_numeric_columns() {
    let (_, cat, levels) = groups(400, 3, 4);
    let num = Array2::<f64>::zeros((400, 0));
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let fit = fit(&view, None, &params(3, Algorithm::Huang, 1), &Init::Cao).unwrap();
    // The cost counts mismatches times gamma.
    let mism: f64 = (0..400)
        .map(|i| {
            let c = fit.labels[i] as usize;
            (0..2)
                .filter(|&j| cat[[i, j]] != fit.prototypes.categorical[c * 2 + j])
                .count() as f64
        })
        .sum();
    assert_eq!(fit.cost, 0.5 * mism);
}

#[test]
fn bad_input_is_an_error() {
    let num = array![[0.0], [1.0], [1.0]];
    let cat = array![[0], [1], [1]];
    let levels = [2usize];
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let p = params(3, Algorithm::Lloyd, 1);
    assert!(matches!(
        fit(&view, None, &p, &Init::Random),
        Err(CoreError::InvalidParameter {
            name: "n_clusters",
            ..
        })
    ));
    assert!(matches!(
        fit(&view, None, &params(4, Algorithm::Lloyd, 1), &Init::Random),
        Err(CoreError::NotEnoughSamples { .. })
    ));
    let bad = KPrototypesParams {
        gamma: 0.0,
        ..KPrototypesParams::default()
    };
    assert!(matches!(
        bad.check(),
        Err(CoreError::InvalidParameter { name: "gamma", .. })
    ));
    let nan = array![[0.0], [f64::NAN], [2.0]];
    let view = MixedView::new(nan.view(), cat.view(), &levels, false).unwrap();
    assert!(matches!(
        fit(&view, None, &params(2, Algorithm::Lloyd, 1), &Init::Random),
        Err(CoreError::NonFinite(_))
    ));
    let missing = array![[0], [crate::mixed::MISSING], [1]];
    let ok = array![[0.0], [1.0], [2.0]];
    let view = MixedView::new(ok.view(), missing.view(), &levels, true).unwrap();
    assert!(fit(&view, None, &params(2, Algorithm::Lloyd, 1), &Init::Random).is_err());
    // Given prototypes with a code that is not a level.
    let view = MixedView::new(ok.view(), cat.view(), &levels, false).unwrap();
    let (pn, pc) = (array![[0.0], [1.0]], array![[0], [5]]);
    assert!(matches!(
        fit(
            &view,
            None,
            &params(2, Algorithm::Lloyd, 1),
            &Init::Given(pn.view(), pc.view())
        ),
        Err(CoreError::InvalidParameter { name: "init", .. })
    ));
    // At predict time an unseen code matches nothing.
    let unseen = array![[crate::mixed::UNSEEN], [1], [0]];
    let view = MixedView::new(ok.view(), unseen.view(), &levels, true).unwrap();
    let (pn, pc) = (array![[0.0], [5.0]], array![[0], [1]]);
    let t = transform(&view, pn.view(), pc.view(), 2.0, &Interrupt::new()).unwrap();
    assert_eq!(t[[0, 0]], 2.0);
    assert_eq!(t[[0, 1]], 27.0);
}

#[test]
fn distinct_rows_stops_at_the_limit() {
    let num = array![[0.0], [-0.0], [1.0], [1.0]];
    let cat = array![[0], [0], [0], [1]];
    let levels = [2usize];
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    assert_eq!(distinct_rows(&view, 10).unwrap(), 3);
    assert_eq!(distinct_rows(&view, 2).unwrap(), 2);
}

#[test]
fn a_requested_stop_ends_predict_cost_and_transform() {
    let (num, cat, levels) = groups(10_000, 3, 6);
    let view = MixedView::new(num.view(), cat.view(), &levels, true).unwrap();
    let (pn, pc) = (
        num.slice(ndarray::s![..3, ..]),
        cat.slice(ndarray::s![..3, ..]),
    );
    let stop = Interrupt::new();
    assert!(predict(&view, pn, pc, 0.5, &stop).is_ok());
    stop.request();
    let stopped = |r: CoreResult<()>| assert!(matches!(r, Err(CoreError::Interrupted)));
    stopped(predict(&view, pn, pc, 0.5, &stop).map(drop));
    stopped(labels_cost(&view, None, pn, pc, 0.5, &stop).map(drop));
    stopped(transform(&view, pn, pc, 0.5, &stop).map(drop));
}

#[test]
fn a_requested_stop_ends_the_fit_with_no_result() {
    let (num, cat, levels) = groups(300, 3, 5);
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let stop = Interrupt::new();
    stop.request();
    for algorithm in [Algorithm::Huang, Algorithm::Lloyd] {
        let got = super::fit(&view, None, &params(3, algorithm, 2), &Init::Random, &stop);
        assert!(matches!(got, Err(CoreError::Interrupted)));
    }
}

#[test]
fn restarts_in_waves_of_any_size_give_the_same_bits() {
    let (num, cat, levels) = groups(3_000, 4, 5);
    let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
    let w: Vec<f64> = (0..3_000).map(|i| 1.0 + (i % 5) as f64).collect();
    for (algorithm, init) in [
        (Algorithm::Lloyd, Init::PlusPlus),
        (Algorithm::Lloyd, Init::Random),
        (Algorithm::Huang, Init::Huang),
    ] {
        let p = params(4, algorithm, 7);
        let run = |wave| {
            super::fit_in_waves(&view, Some(&w), &p, &init, &Interrupt::new(), Some(wave)).unwrap()
        };
        let one = run(1);
        for wave in [2, 3, 7, 100] {
            let other = run(wave);
            assert_eq!(one.labels, other.labels, "{algorithm:?} wave {wave}");
            assert_eq!(one.cost.to_bits(), other.cost.to_bits());
            assert_eq!(one.prototypes, other.prototypes);
            assert_eq!(one.n_iter, other.n_iter);
        }
        // The kept run is the first of the lowest cost: no restart does better.
        let protos = &one.prototypes;
        let (_, cost) = super::labels_cost(
            &view,
            Some(&w),
            ndarray::ArrayView2::from_shape((protos.k, protos.p), &protos.numeric).unwrap(),
            ndarray::ArrayView2::from_shape((protos.k, protos.q), &protos.categorical).unwrap(),
            0.5,
            &Interrupt::new(),
        )
        .unwrap();
        assert!(
            (cost - one.cost).abs() <= 1e-9 * one.cost,
            "{cost} {}",
            one.cost
        );
    }
}

#[test]
fn sizes_the_machine_cannot_hold_are_errors() {
    // A table of more rows than any address space holds (no columns, so no row is read
    // before the per-row buffers are reserved).
    let t = Table {
        num: &[],
        p: 0,
        cat: &[],
        q: 0,
        n: usize::MAX / 4,
        n_levels: &[],
        w: None,
        gamma: 1.0,
    };
    let start = Prototypes {
        k: 1,
        p: 0,
        q: 0,
        numeric: vec![],
        categorical: vec![],
    };
    let stop = Interrupt::new();
    let is_allocation = |r: CoreResult<_>| matches!(r, Err(CoreError::Allocation { .. }));
    assert!(is_allocation(
        lloyd::run(&t, start.clone(), 1, &stop).map(|_| ())
    ));
    assert!(is_allocation(huang::run(&t, start, 1, &stop).map(|_| ())));
    assert!(is_allocation(init::cao(&t, 2).map(|_| ())));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    assert!(is_allocation(init::plus_plus(&t, 2, &mut rng).map(|_| ())));
    let w = [1.0; 3];
    let small = Table {
        n: 3,
        w: Some(&w),
        ..t
    };
    // Weighted random rows reserve a key per row: fine for 3 rows.
    assert!(init::random_rows(&small, 2, &mut rng).is_ok());
}
