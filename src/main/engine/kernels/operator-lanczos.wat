;; The vector passes of the operator estimate's Lanczos steps (engine/bounds/numerics/lanczos.ts with the orthogonalizer
;; of engine/bounds/methods/operator-gemm.ts), in float64 SIMD on the memory of operator-gemm.wat, where the basis
;; q_0, q_1, ... (n float64 each, consecutive at q) and the residual w live.
;;
;; Why: on the 56 x 56 x 64 layers a vector holds 200704 values (1.6 MB) and each step passes over it about eight
;; times besides the Gram-Schmidt pass (alpha, the three-term update, its norm, the pass's norm, beta, q_{k+1} = w /
;; beta); as JavaScript loops those passes cost about as much as the classical Gram-Schmidt pass over the whole basis.
;;
;; Rounding: orthogonalisation only, i.e. the rounding of any float64 Lanczos step (the sums in two or four lanes
;; instead of one chain: the same values to ~1e-16 relative). The estimate's value is recomputed as ||A y|| / ||y||
;; of its Ritz vector y, so nothing here can lift it above the layer's norm.
(module
  (import "env" "memory" (memory 0))

  ;; residual(q, k, n, w, beta, out): the three-term part of step k, alpha = q_k . w, then w -= alpha q_k + beta q_{k-1}
  ;; (no q_{k-1} at k = 0: beta is then 0 and q_k stands in), and out[0] = alpha, out[1] = ||w||^2 (float64 at out).
  (func $residual (export "residual")
    (param $q i32) (param $k i32) (param $n i32) (param $w i32) (param $beta f64) (param $out i32)
    (local $vec i32) (local $qk i32) (local $qp i32) (local $r i32) (local $end i32) (local $alpha f64)
    (local $a0 v128) (local $a1 v128) (local $x v128) (local $ha v128) (local $hb v128) (local $s v128)
    (local.set $vec (i32.shl (local.get $n) (i32.const 3)))
    (local.set $qk (i32.add (local.get $q) (i32.mul (local.get $k) (local.get $vec))))
    (local.set $qp (select (i32.sub (local.get $qk) (local.get $vec)) (local.get $qk) (local.get $k)))
    (local.set $end (i32.add (local.get $w) (local.get $vec)))
    ;; alpha in four lanes (two accumulators: each f64x2 addition waits on the one before); n is even, n / 2 may be odd.
    (local.set $a0 (f64x2.splat (f64.const 0)))
    (local.set $a1 (f64x2.splat (f64.const 0)))
    (local.set $r (i32.const 0))
    (block $dots_done (loop $dots
      (br_if $dots_done (i32.gt_u (i32.add (local.get $r) (i32.const 32)) (local.get $vec)))
      (local.set $a0 (f64x2.relaxed_madd (v128.load (i32.add (local.get $qk) (local.get $r)))
        (v128.load (i32.add (local.get $w) (local.get $r))) (local.get $a0)))
      (local.set $a1 (f64x2.relaxed_madd (v128.load offset=16 (i32.add (local.get $qk) (local.get $r)))
        (v128.load offset=16 (i32.add (local.get $w) (local.get $r))) (local.get $a1)))
      (local.set $r (i32.add (local.get $r) (i32.const 32)))
      (br $dots)))
    (if (i32.lt_u (local.get $r) (local.get $vec))
      (then (local.set $a0 (f64x2.relaxed_madd (v128.load (i32.add (local.get $qk) (local.get $r)))
        (v128.load (i32.add (local.get $w) (local.get $r))) (local.get $a0)))))
    (local.set $a0 (f64x2.add (local.get $a0) (local.get $a1)))
    (local.set $alpha (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    ;; w -= alpha q_k + beta q_{k-1}, and its squared norm
    (local.set $ha (f64x2.splat (local.get $alpha)))
    (local.set $hb (f64x2.splat (local.get $beta)))
    (local.set $s (f64x2.splat (f64.const 0)))
    (local.set $r (local.get $w))
    (block $update_done (loop $update
      (br_if $update_done (i32.ge_u (local.get $r) (local.get $end)))
      (local.set $x (f64x2.sub (v128.load (local.get $r))
        (f64x2.relaxed_madd (local.get $hb) (v128.load (local.get $qp))
          (f64x2.mul (local.get $ha) (v128.load (local.get $qk))))))
      (v128.store (local.get $r) (local.get $x))
      (local.set $s (f64x2.relaxed_madd (local.get $x) (local.get $x) (local.get $s)))
      (local.set $qk (i32.add (local.get $qk) (i32.const 16)))
      (local.set $qp (i32.add (local.get $qp) (i32.const 16)))
      (local.set $r (i32.add (local.get $r) (i32.const 16)))
      (br $update)))
    (f64.store (local.get $out) (local.get $alpha))
    (f64.store offset=8 (local.get $out)
      (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s)))))

  ;; cgs(q, count, n, w, h) -> ||w||^2 after the pass: one classical Gram-Schmidt pass of the residual w against
  ;; q_0..q_{count-1}: h_j = q_j . w for all j (float64 at h, room for count + 3), then w -= sum_j h_j q_j (update).
  ;; Four basis vectors per sweep over w (the pass is bound by reading the basis: twice per pass, where one dot
  ;; product and one update per vector read w four times as often); past the last vector the pointers repeat it with a
  ;; zero coefficient. lanczos.ts repeats the pass when it removed more than half of w (DGKS).
  (func $cgs (export "cgs") (param $q i32) (param $count i32) (param $n i32) (param $w i32) (param $h i32)
    (result f64)
    (local $j i32) (local $vec i32) (local $last i32) (local $r i32) (local $end i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $x v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $vec (i32.shl (local.get $n) (i32.const 3)))
    (local.set $last (i32.add (local.get $q) (i32.mul (i32.sub (local.get $count) (i32.const 1)) (local.get $vec))))
    (local.set $end (i32.add (local.get $w) (local.get $vec)))
    (local.set $j (i32.const 0))
    (block $dots_done (loop $dots
      (br_if $dots_done (i32.ge_u (local.get $j) (local.get $count)))
      (local.set $o0 (call $vector (local.get $q) (local.get $j) (local.get $vec) (local.get $last)))
      (local.set $o1 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 1)) (local.get $vec)
        (local.get $last)))
      (local.set $o2 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 2)) (local.get $vec)
        (local.get $last)))
      (local.set $o3 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 3)) (local.get $vec)
        (local.get $last)))
      (local.set $a0 (f64x2.splat (f64.const 0)))
      (local.set $a1 (f64x2.splat (f64.const 0)))
      (local.set $a2 (f64x2.splat (f64.const 0)))
      (local.set $a3 (f64x2.splat (f64.const 0)))
      (local.set $r (local.get $w))
      (block $sweep_done (loop $sweep
        (br_if $sweep_done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $x (v128.load (local.get $r)))
        (local.set $a0 (f64x2.relaxed_madd (v128.load (local.get $o0)) (local.get $x) (local.get $a0)))
        (local.set $a1 (f64x2.relaxed_madd (v128.load (local.get $o1)) (local.get $x) (local.get $a1)))
        (local.set $a2 (f64x2.relaxed_madd (v128.load (local.get $o2)) (local.get $x) (local.get $a2)))
        (local.set $a3 (f64x2.relaxed_madd (v128.load (local.get $o3)) (local.get $x) (local.get $a3)))
        (local.set $o0 (i32.add (local.get $o0) (i32.const 16)))
        (local.set $o1 (i32.add (local.get $o1) (i32.const 16)))
        (local.set $o2 (i32.add (local.get $o2) (i32.const 16)))
        (local.set $o3 (i32.add (local.get $o3) (i32.const 16)))
        (local.set $r (i32.add (local.get $r) (i32.const 16)))
        (br $sweep)))
      (call $putDot (local.get $h) (local.get $j) (local.get $count) (local.get $a0))
      (call $putDot (local.get $h) (i32.add (local.get $j) (i32.const 1)) (local.get $count) (local.get $a1))
      (call $putDot (local.get $h) (i32.add (local.get $j) (i32.const 2)) (local.get $count) (local.get $a2))
      (call $putDot (local.get $h) (i32.add (local.get $j) (i32.const 3)) (local.get $count) (local.get $a3))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $dots)))
    (call $update (local.get $q) (local.get $count) (local.get $n) (local.get $w) (local.get $h)))

  ;; update(q, count, n, w, h) -> ||w||^2 after it: w -= sum_{j < count} h_j q_j, four basis vectors per sweep, in the
  ;; order of j; the squared norm summed during the last sweep. With w zeroed and h = -z it forms y = Q z (the Ritz
  ;; vector), each entry the chain y += z_j q_j in the order of j.
  (func $update (export "update") (param $q i32) (param $count i32) (param $n i32) (param $w i32) (param $h i32)
    (result f64)
    (local $j i32) (local $vec i32) (local $last i32) (local $r i32) (local $end i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $x v128) (local $s v128) (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local.set $vec (i32.shl (local.get $n) (i32.const 3)))
    (local.set $last (i32.add (local.get $q) (i32.mul (i32.sub (local.get $count) (i32.const 1)) (local.get $vec))))
    (local.set $end (i32.add (local.get $w) (local.get $vec)))
    (local.set $j (i32.const 0))
    (block $updates_done (loop $updates
      (br_if $updates_done (i32.ge_u (local.get $j) (local.get $count)))
      (local.set $o0 (call $vector (local.get $q) (local.get $j) (local.get $vec) (local.get $last)))
      (local.set $o1 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 1)) (local.get $vec)
        (local.get $last)))
      (local.set $o2 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 2)) (local.get $vec)
        (local.get $last)))
      (local.set $o3 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 3)) (local.get $vec)
        (local.get $last)))
      (local.set $h0 (call $coefficient (local.get $h) (local.get $j) (local.get $count)))
      (local.set $h1 (call $coefficient (local.get $h) (i32.add (local.get $j) (i32.const 1)) (local.get $count)))
      (local.set $h2 (call $coefficient (local.get $h) (i32.add (local.get $j) (i32.const 2)) (local.get $count)))
      (local.set $h3 (call $coefficient (local.get $h) (i32.add (local.get $j) (i32.const 3)) (local.get $count)))
      (local.set $s (f64x2.splat (f64.const 0)))
      (local.set $r (local.get $w))
      (block $sweep_done (loop $sweep
        (br_if $sweep_done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $x (v128.load (local.get $r)))
        (local.set $x (f64x2.relaxed_nmadd (local.get $h0) (v128.load (local.get $o0)) (local.get $x)))
        (local.set $x (f64x2.relaxed_nmadd (local.get $h1) (v128.load (local.get $o1)) (local.get $x)))
        (local.set $x (f64x2.relaxed_nmadd (local.get $h2) (v128.load (local.get $o2)) (local.get $x)))
        (local.set $x (f64x2.relaxed_nmadd (local.get $h3) (v128.load (local.get $o3)) (local.get $x)))
        (v128.store (local.get $r) (local.get $x))
        (local.set $s (f64x2.relaxed_madd (local.get $x) (local.get $x) (local.get $s)))
        (local.set $o0 (i32.add (local.get $o0) (i32.const 16)))
        (local.set $o1 (i32.add (local.get $o1) (i32.const 16)))
        (local.set $o2 (i32.add (local.get $o2) (i32.const 16)))
        (local.set $o3 (i32.add (local.get $o3) (i32.const 16)))
        (local.set $r (i32.add (local.get $r) (i32.const 16)))
        (br $sweep)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $updates)))
    (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))

  ;; scale(dst, w, n, b): dst = w / b (q_{k+1} = w / beta_{k+1}: a division, as the JavaScript step divides).
  (func $scale (export "scale") (param $dst i32) (param $w i32) (param $n i32) (param $b f64)
    (local $end i32) (local $d v128)
    (local.set $d (f64x2.splat (local.get $b)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
      (v128.store (local.get $dst) (f64x2.div (v128.load (local.get $w)) (local.get $d)))
      (local.set $w (i32.add (local.get $w) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $copy))))

  ;; combinedNorm(ys, count, len, h) -> ||sum_{j < count} h_j y_j||^2 of float32 vectors y_j (len values each, len
  ;; even, consecutive at ys), summed in float64: each entry the chain over j in order, then its square added. The
  ;; forward outputs A q_j of a Lanczos run combined by the Ritz coefficients: A y without another product.
  (func $combinedNorm (export "combinedNorm") (param $ys i32) (param $count i32) (param $len i32) (param $h i32)
    (result f64)
    (local $r i32) (local $end i32) (local $j i32) (local $at i32) (local $stride i32) (local $acc v128) (local $s v128)
    (local.set $stride (i32.shl (local.get $len) (i32.const 2)))
    (local.set $end (i32.add (local.get $ys) (local.get $stride)))
    (local.set $s (f64x2.splat (f64.const 0)))
    (local.set $r (local.get $ys))
    (block $done (loop $entries
      (br_if $done (i32.ge_u (local.get $r) (local.get $end)))
      (local.set $acc (f64x2.splat (f64.const 0)))
      (local.set $at (local.get $r))
      (local.set $j (i32.const 0))
      (block $sum_done (loop $sum
        (br_if $sum_done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $acc (f64x2.relaxed_madd
          (v128.load64_splat (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 3))))
          (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $at))) (local.get $acc)))
        (local.set $at (i32.add (local.get $at) (local.get $stride)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sum)))
      (local.set $s (f64x2.relaxed_madd (local.get $acc) (local.get $acc) (local.get $s)))
      (local.set $r (i32.add (local.get $r) (i32.const 8)))
      (br $entries)))
    (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))

  ;; The address of basis vector j, or of the last one past the end (its coefficient is then 0).
  (func $vector (param $q i32) (param $j i32) (param $vec i32) (param $last i32) (result i32)
    (select (local.get $last) (i32.add (local.get $q) (i32.mul (local.get $j) (local.get $vec)))
      (i32.gt_u (i32.add (local.get $q) (i32.mul (local.get $j) (local.get $vec))) (local.get $last))))

  ;; h_j in both lanes, or 0 past the last basis vector.
  (func $coefficient (param $h i32) (param $j i32) (param $count i32) (result v128)
    (select (v128.load64_splat (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 3))))
      (f64x2.splat (f64.const 0)) (i32.lt_u (local.get $j) (local.get $count))))

  ;; h[j] = the sum of the two lanes of a, or 0 past the last basis vector (h has room for count + 3 values).
  (func $putDot (param $h i32) (param $j i32) (param $count i32) (param $a v128)
    (f64.store (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 3)))
      (select (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))) (f64.const 0)
        (i32.lt_u (local.get $j) (local.get $count)))))
)
