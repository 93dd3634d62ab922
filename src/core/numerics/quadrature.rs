//! Adaptive Gauss-Kronrod quadrature (QUADPACK's 7/15-point pair, global subdivision) of
//! several integrands that share their nodes, such as a function and its derivatives in
//! a few parameters.

/// Kronrod nodes on [-1, 1] (the positive half; the 8th is 0).
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
/// Kronrod weights of the nodes above.
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights of the odd Kronrod nodes (XGK[1], XGK[3], XGK[5], XGK[7]).
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One panel: its ends, the Kronrod estimates of the `K` integrals, the error estimate of
/// the first.
struct Panel<const K: usize> {
    a: f64,
    b: f64,
    value: [f64; K],
    error: f64,
}

fn panel<const K: usize, F: FnMut(f64) -> [f64; K]>(f: &mut F, a: f64, b: f64) -> Panel<K> {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    let mut kronrod = [0.0; K];
    let mut gauss = 0.0;
    let mut add = |v: [f64; K], wk: f64, wg: f64| {
        for (k, x) in kronrod.iter_mut().zip(v) {
            *k += wk * x;
        }
        gauss += wg * v[0];
    };
    add(f(mid), WGK[7], WG[3]);
    for j in 0..7 {
        let wg = if j % 2 == 1 { WG[j / 2] } else { 0.0 };
        let dx = half * XGK[j];
        add(f(mid - dx), WGK[j], wg);
        add(f(mid + dx), WGK[j], wg);
    }
    let value = kronrod.map(|v| v * half);
    Panel {
        a,
        b,
        value,
        error: (value[0] - gauss * half).abs(),
    }
}

/// The integrals over `[a, b]` of the `K` components of `f`, subdividing the panel with
/// the largest error until the first integral's error estimate is below `rtol` of its
/// size (or of `atol`). `None` when `max_panels` do not reach it or a value is not finite.
pub fn integrate<const K: usize, F>(
    mut f: F,
    a: f64,
    b: f64,
    rtol: f64,
    atol: f64,
    max_panels: usize,
) -> Option<[f64; K]>
where
    F: FnMut(f64) -> [f64; K],
{
    let mut panels = vec![panel(&mut f, a, b)];
    loop {
        let mut total = [0.0; K];
        let mut error = 0.0;
        for p in &panels {
            for (t, v) in total.iter_mut().zip(p.value) {
                *t += v;
            }
            error += p.error;
        }
        if total.iter().any(|v| !v.is_finite()) {
            return None;
        }
        if error <= (rtol * total[0].abs()).max(atol) {
            return Some(total);
        }
        if panels.len() >= max_panels {
            return None;
        }
        let worst = (0..panels.len())
            .max_by(|&i, &j| panels[i].error.total_cmp(&panels[j].error))
            .unwrap_or(0);
        let p = panels.swap_remove(worst);
        let mid = 0.5 * (p.a + p.b);
        panels.push(panel(&mut f, p.a, mid));
        panels.push(panel(&mut f, mid, p.b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_and_steep_integrands() {
        // int_0^1 e^x = e - 1; int_0^20 e^(-40 x) = (1 - e^-800) / 40; with a derivative.
        let got = integrate(|x| [x.exp(), x * x], 0.0, 1.0, 1e-14, 0.0, 100).unwrap();
        assert!((got[0] - (1f64.exp() - 1.0)).abs() < 1e-14);
        assert!((got[1] - 1.0 / 3.0).abs() < 1e-14);
        let got = integrate(|x| [(-40.0 * x).exp()], 0.0, 20.0, 1e-13, 0.0, 500).unwrap();
        assert!((got[0] * 40.0 - 1.0).abs() < 1e-12);
        assert!(integrate(|_| [f64::NAN], 0.0, 1.0, 1e-10, 0.0, 10).is_none());
    }
}
