;; The blocked Cholesky factorisation behind the certificates of F4's matrix norms (bounds/numerics/linalg64.ts,
;; certifyLambdaMax): a floating-point Cholesky of mu I - G that runs to completion proves lambda_max(G) <= mu + err.
;; Bound by bounds/numerics/cholesky-simd.ts.
;;
;; Why: for a 3x3x512x512 layer the factorisation of a 1536 x 1536 matrix is n^3 / 6 = 0.6 G multiply-adds; V8 runs
;; the blocked JS loop (blas64.choleskyInPlace) at ~1.5 GMAC/s, these float64x2 lanes with a 2 x 4 register tile
;; several times faster, and the update splits over two threads.
;;
;; Layout: A is a row-major N x N float64 matrix at byte offset a (only the lower triangle is read or meaningful;
;; the upper one is scratch). N is a multiple of 4 (callers pad with an identity block, which factors exactly and
;; leaves the factorisation of the leading part unchanged), panel bounds J, J1 multiples of 4.
;;
;; Left-looking by panels of columns [J, J1): `update` subtracts the contributions of columns [0, J) from rows
;; [r0, r1) of the panel (split between threads by rows), then `panel` factors the panel column by column.
;; The same `update` with the rows of another matrix X and `fresh` set forms C = -X X^T (lower triangle) without C
;; being zeroed first: the Gram whose top eigenvalue is certified, under the bound linalg64.scaledGram states (any
;; order of the m products).
;;
;; Rounding: every entry is a_ij minus the same products l_ik l_jk as in the textbook algorithm, summed in another
;; order (k panels, two lanes, fused or not): Higham, "Accuracy and Stability of Numerical Algorithms", Thm 10.3
;; and the bound certifyLambdaMax uses hold for every order of the inner products, so this is the same certificate.
;;
;; Variant (kernels/index.ts): relaxed_madd is lowered to mul + add where relaxed SIMD is off.
(module
  ;; Imported so a helper thread can share it (shared variant): each thread updates its own rows.
  (import "env" "memory" (memory 0))

  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; C[i][j] -= sum_{k < K} X[i][k] X[j][k] for rows i in [r0, r1) (even count), columns j in [J, J1) (multiple of
  ;; 4); C's rows at c + i ldc, X's at x + i ldx (bytes; K even). Tiles wholly above the diagonal are skipped. k runs
  ;; in panels of 512 (4 KiB of a row: the tile's six row segments fit L1; 7% faster than 256, 1024 no better, on a
  ;; 768 x 1536 Gram in V8), so the rows j stay in L1/L2 while the rows i stream. The Cholesky update is
  ;; C = X = A, K = J, fresh = 0. With fresh = 1 the first k panel stores 0 - sum instead of C - sum (the same value
  ;; as on a zeroed C), so a Gram is formed without a pass zeroing C first (19 MB for n = 1536).
  ;; The tile's eight stores are written out inline: V8 inlines no WebAssembly calls, and a call per entry (with
  ;; its spills of the live SIMD registers) was ~5% of update's time on the 1536 Grams.
  (func $update (export "update")
    (param $c i32) (param $ldc i32) (param $x i32) (param $ldx i32)
    (param $J i32) (param $J1 i32) (param $r0 i32) (param $r1 i32) (param $K i32) (param $fresh i32)
    (local $rowBytes i32) (local $k0 i32) (local $k1 i32) (local $i i32) (local $j i32) (local $k i32)
    (local $pi0 i32) (local $pi1 i32) (local $pj i32) (local $end i32) (local $o i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128) (local $keepC i32)
    (local.set $rowBytes (local.get $ldx))
    (local.set $k0 (i32.const 0))
    (block $panels_done (loop $panels
      (br_if $panels_done (i32.ge_u (local.get $k0) (local.get $K)))
      (local.set $k1 (i32.add (local.get $k0) (i32.const 512)))
      (if (i32.gt_u (local.get $k1) (local.get $K)) (then (local.set $k1 (local.get $K))))
      ;; Whether C's old value is read: not on a fresh Gram's first panel (C may hold anything there, NaN included:
      ;; a select, not a product, so it never enters the sum), where +0 - sum is stored as on a zeroed C.
      (local.set $keepC (i32.eqz (i32.and (local.get $fresh) (i32.eqz (local.get $k0)))))
      (local.set $i (local.get $r0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $r1)))
        (local.set $pi0 (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $pi1 (i32.add (local.get $pi0) (local.get $rowBytes)))
        (local.set $j (local.get $J))
        (block $cols_done (loop $cols
          (br_if $cols_done (i32.ge_u (local.get $j) (local.get $J1)))
          ;; the tile's lowest row i + 1 is above its first column j: all of it is upper triangle
          (br_if $cols_done (i32.gt_u (local.get $j) (i32.add (local.get $i) (i32.const 1))))
          (local.set $pj (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $rowBytes))))
          (local.set $s00 (f64x2.splat (f64.const 0))) (local.set $s01 (f64x2.splat (f64.const 0)))
          (local.set $s02 (f64x2.splat (f64.const 0))) (local.set $s03 (f64x2.splat (f64.const 0)))
          (local.set $s10 (f64x2.splat (f64.const 0))) (local.set $s11 (f64x2.splat (f64.const 0)))
          (local.set $s12 (f64x2.splat (f64.const 0))) (local.set $s13 (f64x2.splat (f64.const 0)))
          (local.set $k (i32.shl (local.get $k0) (i32.const 3)))
          (local.set $end (i32.shl (local.get $k1) (i32.const 3)))
          (block $dot_done (loop $dot
            (br_if $dot_done (i32.ge_u (local.get $k) (local.get $end)))
            (local.set $x0 (v128.load (i32.add (local.get $pi0) (local.get $k))))
            (local.set $x1 (v128.load (i32.add (local.get $pi1) (local.get $k))))
            (local.set $o (i32.add (local.get $pj) (local.get $k)))
            (local.set $y (v128.load (local.get $o)))
            (local.set $s00 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $s00)))
            (local.set $s10 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $s10)))
            (local.set $y (v128.load (i32.add (local.get $o) (local.get $rowBytes))))
            (local.set $s01 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $s01)))
            (local.set $s11 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $s11)))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $rowBytes) (i32.const 1))))
            (local.set $y (v128.load (local.get $o)))
            (local.set $s02 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $s02)))
            (local.set $s12 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $s12)))
            (local.set $y (v128.load (i32.add (local.get $o) (local.get $rowBytes))))
            (local.set $s03 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $s03)))
            (local.set $s13 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $s13)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $dot)))
          (local.set $o (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc)))
            (i32.shl (local.get $j) (i32.const 3))))
          (f64.store (local.get $o) (f64.sub (select (f64.load (local.get $o)) (f64.const 0) (local.get $keepC))
            (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00)))))
          (f64.store offset=8 (local.get $o) (f64.sub (select (f64.load offset=8 (local.get $o)) (f64.const 0) (local.get $keepC))
            (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01)))))
          (f64.store offset=16 (local.get $o) (f64.sub (select (f64.load offset=16 (local.get $o)) (f64.const 0) (local.get $keepC))
            (f64.add (f64x2.extract_lane 0 (local.get $s02)) (f64x2.extract_lane 1 (local.get $s02)))))
          (f64.store offset=24 (local.get $o) (f64.sub (select (f64.load offset=24 (local.get $o)) (f64.const 0) (local.get $keepC))
            (f64.add (f64x2.extract_lane 0 (local.get $s03)) (f64x2.extract_lane 1 (local.get $s03)))))
          (local.set $o (i32.add (local.get $o) (local.get $ldc)))
          (f64.store (local.get $o) (f64.sub (select (f64.load (local.get $o)) (f64.const 0) (local.get $keepC))
            (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10)))))
          (f64.store offset=8 (local.get $o) (f64.sub (select (f64.load offset=8 (local.get $o)) (f64.const 0) (local.get $keepC))
            (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11)))))
          (f64.store offset=16 (local.get $o) (f64.sub (select (f64.load offset=16 (local.get $o)) (f64.const 0) (local.get $keepC))
            (f64.add (f64x2.extract_lane 0 (local.get $s12)) (f64x2.extract_lane 1 (local.get $s12)))))
          (f64.store offset=24 (local.get $o) (f64.sub (select (f64.load offset=24 (local.get $o)) (f64.const 0) (local.get $keepC))
            (f64.add (f64x2.extract_lane 0 (local.get $s13)) (f64x2.extract_lane 1 (local.get $s13)))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows)))
      (local.set $k0 (local.get $k1))
      (br $panels)))
  )

  ;; The rows of a Gram's X written from a float32 HWIO kernel at byte offset src (f4-gram-rows.ts): its c_out-long
  ;; runs q in [q0, q1), q = (k wd + l) ci + i, each to X at byte offset dst + k dk + l dl + i di, every entry widened
  ;; to float64 and multiplied by scale (a power of two: exact, the same number as JavaScript's W[p] * scale). c_out a
  ;; multiple of 4. Why: the JavaScript loop writing 19 MB of X for a 3x3x512x512 kernel took ~8 ms on one thread.
  (func $widen (export "widen")
    (param $src i32) (param $dst i32) (param $wd i32) (param $ci i32) (param $co i32)
    (param $dk i32) (param $dl i32) (param $di i32) (param $q0 i32) (param $q1 i32) (param $scale f64)
    (local $q i32) (local $p i32) (local $d i32) (local $end i32) (local $v v128) (local $s v128)
    (local.set $s (f64x2.splat (local.get $scale)))
    (local.set $q (local.get $q0))
    (block $runs_done (loop $runs
      (br_if $runs_done (i32.ge_u (local.get $q) (local.get $q1)))
      (local.set $p (i32.add (local.get $src) (i32.mul (local.get $q) (i32.shl (local.get $co) (i32.const 2)))))
      (local.set $end (i32.add (local.get $p) (i32.shl (local.get $co) (i32.const 2))))
      ;; q = (k wd + l) ci + i
      (local.set $d (i32.add (local.get $dst)
        (i32.add
          (i32.mul (i32.div_u (local.get $q) (i32.mul (local.get $wd) (local.get $ci))) (local.get $dk))
          (i32.add
            (i32.mul (i32.rem_u (i32.div_u (local.get $q) (local.get $ci)) (local.get $wd)) (local.get $dl))
            (i32.mul (i32.rem_u (local.get $q) (local.get $ci)) (local.get $di))))))
      (block $o_done (loop $o
        (br_if $o_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (v128.store (local.get $d) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $s)))
        (v128.store offset=16 (local.get $d) (f64x2.mul
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
          (local.get $s)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 32)))
        (br $o)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $runs)))
  )

  ;; max |w| and the float64 sum of the squares of n float32 values at byte offset src (n a multiple of 4), stored as
  ;; two f64 at byte offset dst (f4-gram-rows.ts stagedScale: kernelScale's read in SIMD). Each square of a float32
  ;; value is exact in float64, so only the sum rounds (any order: sumOfSquaresUpper). A NaN makes both NaN (f32x4.max
  ;; and f32.max propagate it), an Inf both Inf.
  (func $scan (export "scan") (param $src i32) (param $n i32) (param $dst i32)
    (local $p i32) (local $end i32) (local $v v128) (local $h v128) (local $m v128) (local $a v128) (local $b v128)
    (local.set $m (f32x4.splat (f32.const 0)))
    (local.set $a (f64x2.splat (f64.const 0)))
    (local.set $b (f64x2.splat (f64.const 0)))
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $values
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $m (f32x4.max (local.get $m) (f32x4.abs (local.get $v))))
      (local.set $h (f64x2.promote_low_f32x4 (local.get $v)))
      (local.set $a (f64x2.relaxed_madd (local.get $h) (local.get $h) (local.get $a)))
      (local.set $h (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
      (local.set $b (f64x2.relaxed_madd (local.get $h) (local.get $h) (local.get $b)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $values)))
    (f64.store (local.get $dst) (f64.promote_f32
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
        (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m))))))
    (local.set $a (f64x2.add (local.get $a) (local.get $b)))
    (f64.store offset=8 (local.get $dst)
      (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))))
  )

  ;; sum_{k in [J, j)} A[p][k] A[q][k] for rows at byte addresses p, q (J even).
  (func $dot (param $p i32) (param $q i32) (param $J i32) (param $j i32) (result f64)
    (local $k i32) (local $end i32) (local $s v128) (local $t f64)
    (local.set $s (f64x2.splat (f64.const 0)))
    (local.set $k (i32.shl (local.get $J) (i32.const 3)))
    (local.set $end (i32.shl (i32.and (i32.sub (local.get $j) (local.get $J)) (i32.const -2)) (i32.const 3)))
    (local.set $end (i32.add (local.get $end) (local.get $k)))
    (block $done (loop $pairs
      (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
      (local.set $s (f64x2.relaxed_madd
        (v128.load (i32.add (local.get $p) (local.get $k)))
        (v128.load (i32.add (local.get $q) (local.get $k)))
        (local.get $s)))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $pairs)))
    (local.set $t (call $hsum (local.get $s)))
    (if (i32.and (i32.sub (local.get $j) (local.get $J)) (i32.const 1))
      (then (local.set $t (f64.add (local.get $t)
        (f64.mul (f64.load (i32.add (local.get $p) (local.get $end)))
                 (f64.load (i32.add (local.get $q) (local.get $end))))))))
    (local.get $t))

  ;; Factor the panel's columns [J, J1) for rows [J, rEnd) after `update`: l_jj = sqrt(a_jj - sum l_jk^2),
  ;; l_ij = (a_ij - sum l_ik l_jk) / l_jj, sums over k in [J, j). Returns 0 as soon as a pivot is not positive
  ;; (not numerically positive definite), else 1. Rows from rEnd on are left to `solveRows`.
  (func $panel (export "panel") (param $a i32) (param $N i32) (param $J i32) (param $J1 i32) (param $rEnd i32)
    (result i32)
    (local $rowBytes i32) (local $j i32) (local $i i32) (local $pj i32) (local $pi i32) (local $s f64) (local $d f64)
    (local.set $rowBytes (i32.shl (local.get $N) (i32.const 3)))
    (local.set $j (local.get $J))
    (block $cols_done (loop $cols
      (br_if $cols_done (i32.ge_u (local.get $j) (local.get $J1)))
      (local.set $pj (i32.add (local.get $a) (i32.mul (local.get $j) (local.get $rowBytes))))
      (local.set $s (f64.sub
        (f64.load (i32.add (local.get $pj) (i32.shl (local.get $j) (i32.const 3))))
        (call $dot (local.get $pj) (local.get $pj) (local.get $J) (local.get $j))))
      (if (i32.eqz (f64.gt (local.get $s) (f64.const 0))) (then (return (i32.const 0))))
      (local.set $d (f64.sqrt (local.get $s)))
      (f64.store (i32.add (local.get $pj) (i32.shl (local.get $j) (i32.const 3))) (local.get $d))
      (local.set $i (i32.add (local.get $j) (i32.const 1)))
      (local.set $pi (i32.add (local.get $pj) (local.get $rowBytes)))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $rEnd)))
        (f64.store (i32.add (local.get $pi) (i32.shl (local.get $j) (i32.const 3)))
          (f64.div
            (f64.sub
              (f64.load (i32.add (local.get $pi) (i32.shl (local.get $j) (i32.const 3))))
              (call $dot (local.get $pi) (local.get $pj) (local.get $J) (local.get $j)))
            (local.get $d)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $pi (i32.add (local.get $pi) (local.get $rowBytes)))
        (br $rows)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $cols)))
    (i32.const 1))

  ;; The panel's columns [J, J1) of rows [r0, r1) (all >= J1), once `panel` has factored the diagonal block: the same
  ;; l_ij = (a_ij - sum_{k in [J, j)} l_ik l_jk) / l_jj as `panel`, row by row (each row's segment stays in L1), so
  ;; the rows below the block split between threads. Rows go four at a time, sharing each load of row j: one row's
  ;; sum is a chain of dependent multiply-adds (latency-bound, ~1/4 of the core's rate), four rows are four chains.
  ;; Each row's sum is formed exactly as $dot forms it (lanes over even / odd k, then the odd tail), so the factor
  ;; is bit for bit the one-row-at-a-time factor.
  (func $solveRows (export "solveRows")
    (param $a i32) (param $N i32) (param $J i32) (param $J1 i32) (param $r0 i32) (param $r1 i32)
    (local $rowBytes i32) (local $i i32) (local $j i32) (local $pi i32) (local $pj i32) (local $at i32)
    (local $k i32) (local $end i32) (local $odd i32) (local $y v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $t f64) (local $ljj f64) (local $yTail f64) (local $aij i32)
    (local.set $rowBytes (i32.shl (local.get $N) (i32.const 3)))
    (local.set $i (local.get $r0))
    (local.set $pi (i32.add (local.get $a) (i32.mul (local.get $r0) (local.get $rowBytes))))
    (block $quads_done (loop $quads
      (br_if $quads_done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $r1)))
      (local.set $j (local.get $J))
      (local.set $pj (i32.add (local.get $a) (i32.mul (local.get $J) (local.get $rowBytes))))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_u (local.get $j) (local.get $J1)))
        (local.set $s0 (f64x2.splat (f64.const 0))) (local.set $s1 (f64x2.splat (f64.const 0)))
        (local.set $s2 (f64x2.splat (f64.const 0))) (local.set $s3 (f64x2.splat (f64.const 0)))
        (local.set $k (i32.shl (local.get $J) (i32.const 3)))
        (local.set $odd (i32.and (i32.sub (local.get $j) (local.get $J)) (i32.const 1)))
        (local.set $end (i32.add (local.get $k)
          (i32.shl (i32.and (i32.sub (local.get $j) (local.get $J)) (i32.const -2)) (i32.const 3))))
        (block $pairs_done (loop $pairs
          (br_if $pairs_done (i32.ge_u (local.get $k) (local.get $end)))
          (local.set $y (v128.load (i32.add (local.get $pj) (local.get $k))))
          (local.set $at (i32.add (local.get $pi) (local.get $k)))
          (local.set $s0 (f64x2.relaxed_madd (v128.load (local.get $at)) (local.get $y) (local.get $s0)))
          (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
          (local.set $s1 (f64x2.relaxed_madd (v128.load (local.get $at)) (local.get $y) (local.get $s1)))
          (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
          (local.set $s2 (f64x2.relaxed_madd (v128.load (local.get $at)) (local.get $y) (local.get $s2)))
          (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
          (local.set $s3 (f64x2.relaxed_madd (v128.load (local.get $at)) (local.get $y) (local.get $s3)))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $pairs)))
        ;; Each row's l_ij = (a_ij - t) / l_jj, t its lanes summed plus, for an odd count, the tail product (as $dot
        ;; ends its sum), written out four times: V8 inlines no WebAssembly calls, and a call per row cost ~1/5 of
        ;; solveRows. l_jj and the tail's l_jk are read once for the four.
        (local.set $ljj (f64.load (i32.add (local.get $pj) (i32.shl (local.get $j) (i32.const 3)))))
        (local.set $yTail (f64.load (i32.add (local.get $pj) (local.get $end))))
        (local.set $at (local.get $pi))
        (local.set $t (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
        (if (local.get $odd) (then (local.set $t (f64.add (local.get $t)
          (f64.mul (f64.load (i32.add (local.get $at) (local.get $end))) (local.get $yTail))))))
        (local.set $aij (i32.add (local.get $at) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store (local.get $aij) (f64.div (f64.sub (f64.load (local.get $aij)) (local.get $t)) (local.get $ljj)))
        (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
        (local.set $t (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))
        (if (local.get $odd) (then (local.set $t (f64.add (local.get $t)
          (f64.mul (f64.load (i32.add (local.get $at) (local.get $end))) (local.get $yTail))))))
        (local.set $aij (i32.add (local.get $at) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store (local.get $aij) (f64.div (f64.sub (f64.load (local.get $aij)) (local.get $t)) (local.get $ljj)))
        (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
        (local.set $t (f64.add (f64x2.extract_lane 0 (local.get $s2)) (f64x2.extract_lane 1 (local.get $s2))))
        (if (local.get $odd) (then (local.set $t (f64.add (local.get $t)
          (f64.mul (f64.load (i32.add (local.get $at) (local.get $end))) (local.get $yTail))))))
        (local.set $aij (i32.add (local.get $at) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store (local.get $aij) (f64.div (f64.sub (f64.load (local.get $aij)) (local.get $t)) (local.get $ljj)))
        (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
        (local.set $t (f64.add (f64x2.extract_lane 0 (local.get $s3)) (f64x2.extract_lane 1 (local.get $s3))))
        (if (local.get $odd) (then (local.set $t (f64.add (local.get $t)
          (f64.mul (f64.load (i32.add (local.get $at) (local.get $end))) (local.get $yTail))))))
        (local.set $aij (i32.add (local.get $at) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store (local.get $aij) (f64.div (f64.sub (f64.load (local.get $aij)) (local.get $t)) (local.get $ljj)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (local.set $pj (i32.add (local.get $pj) (local.get $rowBytes)))
        (br $cols)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (local.set $pi (i32.add (local.get $pi) (i32.shl (local.get $rowBytes) (i32.const 2))))
      (br $quads)))
    ;; the last r1 - r0 mod 4 rows one at a time
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $i) (local.get $r1)))
      (local.set $j (local.get $J))
      (local.set $pj (i32.add (local.get $a) (i32.mul (local.get $J) (local.get $rowBytes))))
      (block $cols1_done (loop $cols1
        (br_if $cols1_done (i32.ge_u (local.get $j) (local.get $J1)))
        (local.set $at (i32.add (local.get $pi) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store (local.get $at)
          (f64.div
            (f64.sub (f64.load (local.get $at))
              (call $dot (local.get $pi) (local.get $pj) (local.get $J) (local.get $j)))
            (f64.load (i32.add (local.get $pj) (i32.shl (local.get $j) (i32.const 3))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (local.set $pj (i32.add (local.get $pj) (local.get $rowBytes)))
        (br $cols1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $pi (i32.add (local.get $pi) (local.get $rowBytes)))
      (br $rows)))
  )
)
