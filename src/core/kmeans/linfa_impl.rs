//! linfa integration for Rust users: [`SegwiseKMeans`] implements `linfa::traits::Fit`
//! and the fitted model implements `PredictInplace` (hence `Predict`) returning labels.

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2, ArrayBase, Data as NdData, Ix2};

use super::{fit, labels_inertia, Init, KMeansParams};
use crate::numerics::Float;
use crate::params::Params;
use crate::{CoreError, Interrupt};

/// Errors of the linfa interface: segwise's own, or linfa's.
#[derive(Debug, thiserror::Error)]
pub enum KMeansLinfaError {
    /// An error from segwise's core.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// An error from linfa.
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

/// k-means hyper-parameters as a linfa estimator (greedy k-means++ init, `n_init` restarts).
#[derive(Debug, Clone, Default)]
pub struct SegwiseKMeans {
    /// The parameters passed to [`super::fit`].
    pub params: KMeansParams,
}

/// A fitted model: centres plus training inertia and iterations.
#[derive(Debug, Clone)]
pub struct FittedKMeans<F> {
    /// Centres `(k, d)`.
    pub centres: Array2<F>,
    /// Training inertia.
    pub inertia: f64,
    /// Iterations of the best restart.
    pub n_iter: usize,
}

impl SegwiseKMeans {
    /// Parameters with `n_clusters` clusters and seed `seed`, other values default.
    pub fn new(n_clusters: usize, seed: u64) -> Self {
        SegwiseKMeans {
            params: KMeansParams {
                n_clusters,
                seed,
                ..Default::default()
            },
        }
    }
}

impl<F: Float, D: NdData<Elem = F>, T> Fit<ArrayBase<D, Ix2>, T, KMeansLinfaError>
    for SegwiseKMeans
{
    type Object = FittedKMeans<F>;

    fn fit(
        &self,
        dataset: &DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<Self::Object, KMeansLinfaError> {
        let records = dataset.records().as_standard_layout();
        let weights: Option<Vec<f64>> = dataset
            .weights()
            .map(|w| w.iter().map(|&v| v as f64).collect());
        let fitted = fit(
            records.view(),
            weights.as_deref(),
            &self.params.check_ref()?,
            &Init::KMeansPlusPlus,
            // linfa's `Fit` has no way to stop early: the fit runs to its end.
            &crate::Interrupt::new(),
        )?;
        Ok(FittedKMeans {
            centres: fitted.centres,
            inertia: fitted.inertia,
            n_iter: fitted.n_iter,
        })
    }
}

impl<F: Float, D: NdData<Elem = F>> PredictInplace<ArrayBase<D, Ix2>, Array1<usize>>
    for FittedKMeans<F>
{
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<usize>) {
        let xs = x.as_standard_layout();
        let centres = self.centres.as_standard_layout();
        // linfa's trait has no error channel: rows that cannot be labelled (shape
        // mismatch, NaN) are left at their default label 0.
        if let Ok((labels, _)) = labels_inertia(xs.view(), centres.view(), None, &Interrupt::new())
        {
            for (dst, &l) in y.iter_mut().zip(labels.iter()) {
                *dst = l.max(0) as usize;
            }
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::traits::Predict;
    use linfa::DatasetBase;

    #[test]
    fn linfa_fit_predict() {
        let mut v = Vec::new();
        for c in 0..2 {
            for i in 0..20 {
                v.push(c as f64 * 100.0 + i as f64 * 0.01);
                v.push(-(c as f64) * 50.0);
            }
        }
        let x = Array2::from_shape_vec((40, 2), v).unwrap();
        let ds = DatasetBase::from(x.clone());
        let model = SegwiseKMeans::new(2, 3).fit(&ds).unwrap();
        let labels: Array1<usize> = model.predict(&x);
        assert!(labels.iter().take(20).all(|&l| l == labels[0]));
        assert!(labels.iter().skip(20).all(|&l| l == labels[20]));
        assert_ne!(labels[0], labels[20]);
        let err = SegwiseKMeans::new(50, 0).fit(&ds);
        assert!(matches!(
            err,
            Err(KMeansLinfaError::Core(CoreError::NotEnoughSamples { .. }))
        ));
    }
}
