//! Values checked against numpy/scipy on fixed vectors. The numbers below were printed by
//! `tests/reference/make_reference.py` (numpy 2.4.6, scipy 1.17.1); the input vectors are the
//! same as in that script. Re-run it to regenerate.

use lfg_eval::{
    RankingConfig, RankingInput, RatingMetrics, fold_stats, mae, paired_t_test, per_user_rmse,
    ranking_metrics, rmse, student_t_cdf, student_t_quantile, student_t_two_sided_p,
};

const PRED: [f32; 20] = [
    3.7, 4.1, 2.2, 5.0, 1.3, 3.3, 4.8, 2.9, 3.6, 4.4, 1.9, 3.0, 4.2, 2.5, 3.8, 4.9, 1.1, 3.4, 2.7,
    4.6,
];
const TRUTH: [f32; 20] = [
    4.0, 4.0, 3.0, 5.0, 1.0, 2.0, 5.0, 3.0, 4.0, 5.0, 2.0, 3.0, 3.0, 1.0, 4.0, 5.0, 2.0, 3.0, 3.0,
    4.0,
];
const USERS: [u32; 20] = [0, 0, 1, 2, 2, 2, 3, 1, 0, 4, 4, 4, 4, 5, 1, 3, 5, 0, 2, 4];

fn close(got: f64, want: f64, rel: f64, what: &str) {
    let tol = rel * want.abs().max(1e-300);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.17e}, scipy {want:.17e} (rel tol {rel:e})"
    );
}

#[test]
fn rating_metrics_match_numpy() {
    close(rmse(&PRED, &TRUTH), 0.6426507226811602, 1e-13, "rmse");
    close(mae(&PRED, &TRUTH), 0.46999995708465575, 1e-13, "mae");
    close(
        per_user_rmse(&USERS, &PRED, &TRUTH),
        0.5901986593406319,
        1e-13,
        "per-user rmse",
    );
    let m = RatingMetrics::compute(&USERS, &PRED, &TRUTH, None).unwrap();
    close(m.rmse, 0.6426507226811602, 1e-13, "compute rmse");
    close(m.mae, 0.46999995708465575, 1e-13, "compute mae");
    close(
        m.per_user_rmse,
        0.5901986593406319,
        1e-13,
        "compute per-user",
    );
    assert_eq!(m.n_users, 6);
}

/// (df, p, scipy.stats.t.ppf(p, df))
const T_QUANTILES: [(f64, f64, f64); 75] = [
    (1.0, 0.9, 3.0776835371752544),
    (1.0, 0.95, 6.313751514675037),
    (1.0, 0.975, 12.706204736174694),
    (1.0, 0.995, 63.656741162871526),
    (1.0, 0.9995, 636.6192487687897),
    (2.0, 0.9, 1.8856180831641272),
    (2.0, 0.95, 2.9199855803537242),
    (2.0, 0.975, 4.302652729749462),
    (2.0, 0.995, 9.924843200918287),
    (2.0, 0.9995, 31.599054576445365),
    (3.0, 0.9, 1.637744353696209),
    (3.0, 0.95, 2.3533634348018233),
    (3.0, 0.975, 3.1824463052837078),
    (3.0, 0.995, 5.840909309733355),
    (3.0, 0.9995, 12.923978636687961),
    (4.0, 0.9, 1.533206274058944),
    (4.0, 0.95, 2.1318467863266495),
    (4.0, 0.975, 2.7764451051977934),
    (4.0, 0.995, 4.604094871349992),
    (4.0, 0.9995, 8.610301581379522),
    (5.0, 0.9, 1.4758840488244815),
    (5.0, 0.95, 2.0150483733330233),
    (5.0, 0.975, 2.5705818356363146),
    (5.0, 0.995, 4.032142983555228),
    (5.0, 0.9995, 6.868826625881276),
    (7.0, 0.9, 1.4149239276505086),
    (7.0, 0.95, 1.8945786050900062),
    (7.0, 0.975, 2.364624251592784),
    (7.0, 0.995, 3.4994832973504924),
    (7.0, 0.9995, 5.407882520861828),
    (9.0, 0.9, 1.3830287383966329),
    (9.0, 0.95, 1.833112932656237),
    (9.0, 0.975, 2.262157162798205),
    (9.0, 0.995, 3.249835541592126),
    (9.0, 0.9995, 4.780912585931217),
    (10.0, 0.9, 1.372183641110336),
    (10.0, 0.95, 1.8124611228116756),
    (10.0, 0.975, 2.228138851986274),
    (10.0, 0.995, 3.16927267261695),
    (10.0, 0.9995, 4.586893858702708),
    (15.0, 0.9, 1.3406056078504558),
    (15.0, 0.95, 1.753050355692572),
    (15.0, 0.975, 2.131449545559776),
    (15.0, 0.995, 2.946712883475238),
    (15.0, 0.9995, 4.072765195903846),
    (29.0, 0.9, 1.311433647301551),
    (29.0, 0.95, 1.6991270265334972),
    (29.0, 0.975, 2.045229642132703),
    (29.0, 0.995, 2.756385903670605),
    (29.0, 0.9995, 3.6594050194663748),
    (30.0, 0.9, 1.3104150253913955),
    (30.0, 0.95, 1.697260886593957),
    (30.0, 0.975, 2.0422724563012378),
    (30.0, 0.995, 2.7499956535672254),
    (30.0, 0.9995, 3.6459586350420627),
    (31.0, 0.9, 1.3094635494946454),
    (31.0, 0.95, 1.6955187825458649),
    (31.0, 0.975, 2.039513446396408),
    (31.0, 0.995, 2.744041919294269),
    (31.0, 0.9995, 3.6334563497583714),
    (60.0, 0.9, 1.295821093515731),
    (60.0, 0.95, 1.6706488649046363),
    (60.0, 0.975, 2.0002978220142604),
    (60.0, 0.995, 2.6602830288550368),
    (60.0, 0.9995, 3.460200469196392),
    (120.0, 0.9, 1.288646233656378),
    (120.0, 0.95, 1.6576508993552352),
    (120.0, 0.975, 1.9799304050824402),
    (120.0, 0.995, 2.6174211451068654),
    (120.0, 0.9995, 3.373453768562533),
    (1000.0, 0.9, 1.2823987214609247),
    (1000.0, 0.95, 1.6463788172854643),
    (1000.0, 0.975, 1.9623390808264083),
    (1000.0, 0.995, 2.580754698065951),
    (1000.0, 0.9995, 3.300282648423944),
];

#[test]
fn t_quantiles_match_scipy() {
    for (df, p, want) in T_QUANTILES {
        close(
            student_t_quantile(p, df),
            want,
            1e-10,
            &format!("t.ppf({p}, {df})"),
        );
        // symmetry: lower quantile
        close(
            -student_t_quantile(1.0 - p, df),
            want,
            1e-9,
            &format!("-t.ppf(1-{p}, {df})"),
        );
    }
}

/// (t, df, scipy.stats.t.cdf(t, df))
const T_CDF: [(f64, f64, f64); 7] = [
    (-3.1, 2.0, 0.04510036506509436),
    (0.7, 1.0, 0.6944001122142147),
    (1.96, 5.0, 0.946356023747353),
    (2.5, 12.0, 0.9860423002143374),
    (-0.3, 30.0, 0.3831230526421764),
    (4.2, 7.5, 0.9982699590935238),
    (1.0, 250.0, 0.8408612888832727),
];

#[test]
fn t_cdf_matches_scipy() {
    for (t, df, want) in T_CDF {
        close(
            student_t_cdf(t, df),
            want,
            1e-12,
            &format!("t.cdf({t}, {df})"),
        );
        let two_sided = 2.0 * want.min(1.0 - want);
        close(student_t_two_sided_p(t, df), two_sided, 1e-11, "two-sided");
    }
}

const A: [f64; 5] = [0.8712, 0.8655, 0.8701, 0.8689, 0.8744];
const B: [f64; 5] = [0.8801, 0.8723, 0.8790, 0.8750, 0.8812];
const C: [f64; 10] = [
    0.9404, 0.9136, 0.9130, 0.9255, 0.9011, 0.9321, 0.9187, 0.9076, 0.9290, 0.9150,
];
const D: [f64; 10] = [
    0.9410, 0.9101, 0.9177, 0.9230, 0.9052, 0.9300, 0.9150, 0.9101, 0.9255, 0.9160,
];

#[test]
fn fold_stats_match_scipy_t_interval() {
    let s = fold_stats(&A);
    close(s.mean, 0.8700199999999999, 1e-14, "mean A");
    close(s.std, 0.0032506922339710625, 1e-11, "std A");
    close(s.ci95_low, 0.8659837324838374, 1e-12, "ci low A");
    close(s.ci95_high, 0.8740562675161624, 1e-12, "ci high A");
    assert_eq!((s.min, s.max), (0.8655, 0.8744));
    let s = fold_stats(&C);
    close(s.mean, 0.9196000000000002, 1e-14, "mean C");
    close(s.std, 0.012017764628526677, 1e-11, "std C");
    close(s.ci95_low, 0.9110030090786536, 1e-12, "ci low C");
    close(s.ci95_high, 0.9281969909213468, 1e-12, "ci high C");
}

#[test]
fn paired_t_matches_scipy_ttest_rel() {
    let r = paired_t_test(&A, &B);
    close(r.t, -12.806020814296883, 1e-9, "t A-B");
    close(r.p_value, 0.00021431011439227446, 1e-8, "p A-B");
    close(r.mean_diff, -0.007499999999999995, 1e-12, "mean diff A-B");
    close(r.ci95_low, -0.009126058444769651, 1e-10, "ci low A-B");
    close(r.ci95_high, -0.005873941555230339, 1e-10, "ci high A-B");
    assert_eq!(r.df, 4);
    let r = paired_t_test(&C, &D);
    close(r.t, 0.23386486515063187, 1e-8, "t C-D");
    close(r.p_value, 0.8203228697892502, 1e-10, "p C-D");
    close(r.mean_diff, 0.00023999999999999578, 1e-9, "mean diff C-D");
    close(r.ci95_low, -0.002081501858442346, 1e-9, "ci low C-D");
    close(r.ci95_high, 0.002561501858442338, 1e-9, "ci high C-D");
    assert_eq!(r.df, 9);
}

/// SplitMix64 finaliser of a small key, as `h` in make_reference.py.
fn h(u: u64, i: u64, salt: u64) -> u64 {
    let mut x = u * 1_000_003 + i * 7_919 + salt * 104_729;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[test]
fn ranking_metrics_match_explicit_formulas() {
    const N_USERS: u64 = 12;
    const N_ITEMS: u64 = 40;
    let (mut tu, mut ti, mut su, mut si, mut sr) = (vec![], vec![], vec![], vec![], vec![]);
    let mut scores = Vec::new();
    for u in 0..N_USERS {
        for i in 0..N_ITEMS {
            match h(u, i, 1) % 4 {
                0 => {
                    tu.push(u as u32);
                    ti.push(i as u32);
                }
                1 => {
                    su.push(u as u32);
                    si.push(i as u32);
                    sr.push((1 + h(u, i, 3) % 5) as f32);
                }
                _ => {}
            }
            scores.push((h(u, i, 2) % 50) as f32);
        }
    }
    let input = RankingInput {
        n_users: N_USERS as usize,
        n_items: N_ITEMS as usize,
        train_users: &tu,
        train_items: &ti,
        test_users: &su,
        test_items: &si,
        test_ratings: &sr,
    };
    let cfg = RankingConfig {
        k: 5,
        threshold: 4.0,
    };
    let n = N_ITEMS as usize;
    let m = ranking_metrics(&cfg, &input, |u, out| {
        out.copy_from_slice(&scores[u as usize * n..(u as usize + 1) * n]);
    })
    .unwrap();
    assert_eq!(m.n_users_listed, 12);
    assert_eq!(m.n_users_evaluated, 12);
    assert_eq!(m.n_items_recommended, 32);
    close(m.precision, 0.16666666666666666, 1e-13, "precision@5");
    close(m.recall, 0.1536706349206349, 1e-13, "recall@5");
    close(m.ndcg, 0.16962636421726793, 1e-13, "ndcg@5");
    close(m.map, 0.09037037037037036, 1e-13, "map@5");
    close(m.hit_rate, 0.5833333333333334, 1e-13, "hit@5");
    close(m.catalogue_coverage, 0.8, 1e-13, "coverage");
}
