;; The products of the operator estimate (engine/bounds/methods/operator-gemm.ts): the layer's convolution A and its
;; adjoint A^T as matrix products C = X B with X the gathered inputs (im2col: one row per output position, one column
;; per tap and input channel) and B the kernel as a (taps c_in) x c_out matrix (A) or its transpose (A^T, whose
;; result operator-gemm.ts scatters back onto the input positions). One float32 product with 4 x 8 register tiles.
;;
;; Why: tfjs-wasm's conv2d (XNNPACK, plain SIMD: a multiply and an add per lane) runs these layers at ~8-9 GMAC/s
;; on one core; a fused multiply-add (relaxed SIMD) does both in one instruction, and the operands need no tfjs
;; tensors, pads or copies per product.
;;
;; Layout (byte offsets into the imported memory): X rows of lda bytes; B packed in panels of 8 columns, panel j at
;; bp + j ldp, row k of the panel (8 float32) at + 32 k; C rows of ldc bytes, panel j at column 8 j. The caller pads:
;; m a multiple of 4 rows, kc a multiple of 4 (zero columns of X / zero rows of B), columns to whole panels.
;;
;; Rounding: each entry of C is a chain of multiply-adds over k in order (fused or not; kernels/index.ts lowers
;; relaxed_madd to mul + add where relaxed SIMD is off), started from 0 or, with accum, from the C of the previous
;; chunk of k. The estimate only needs float32 accuracy: it is a lower value recomputed as ||A y|| / ||y||.
(module
  (import "env" "memory" (memory 0))

  ;; gemm(a, lda, bp, ldp, c, ldc, m, kc, nb, accum): C[0..m) x [0..8 nb) (+)= X[0..m) x [0..kc) . B[0..kc) x [0..8 nb).
  (func $gemm (export "gemm")
    (param $a i32) (param $lda i32) (param $bp i32) (param $ldp i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $kc i32) (param $nb i32) (param $accum i32)
    (local $jb i32) (local $ib i32) (local $panel i32) (local $pb i32) (local $pc i32) (local $end i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $jb (i32.const 0))
    (block $panels_done (loop $panels
      (br_if $panels_done (i32.ge_u (local.get $jb) (local.get $nb)))
      (local.set $panel (i32.add (local.get $bp) (i32.mul (local.get $jb) (local.get $ldp))))
      (local.set $ib (i32.const 0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $ib) (local.get $m)))
        (local.set $p0 (i32.add (local.get $a) (i32.mul (local.get $ib) (local.get $lda))))
        (local.set $p1 (i32.add (local.get $p0) (local.get $lda)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $lda)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $lda)))
        (local.set $pc
          (i32.add (i32.add (local.get $c) (i32.mul (local.get $ib) (local.get $ldc))) (i32.shl (local.get $jb) (i32.const 5))))
        (if (local.get $accum)
          (then
        (local.set $c00 (v128.load offset=0 (local.get $pc)))
        (local.set $c01 (v128.load offset=16 (local.get $pc)))
        (local.set $c10 (v128.load offset=0 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 1)))))
        (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 1)))))
        (local.set $c20 (v128.load offset=0 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 2)))))
        (local.set $c21 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 2)))))
        (local.set $c30 (v128.load offset=0 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 3)))))
        (local.set $c31 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 3))))))
          (else
        (local.set $c00 (v128.const i32x4 0 0 0 0))
        (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0))
        (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0))
        (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0))
        (local.set $c31 (v128.const i32x4 0 0 0 0))))
        (local.set $pb (local.get $panel))
        (local.set $end (i32.add (local.get $p0) (i32.shl (local.get $kc) (i32.const 2))))
        ;; four k per pass: the memarg offsets step through them, so only the five pointers move
        (block $k_done (loop $k
          (br_if $k_done (i32.ge_u (local.get $p0) (local.get $end)))
          (local.set $b0 (v128.load offset=0 (local.get $pb)))
          (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $x (v128.load32_splat offset=0 (local.get $p0)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
          (local.set $x (v128.load32_splat offset=0 (local.get $p1)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
          (local.set $x (v128.load32_splat offset=0 (local.get $p2)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
          (local.set $x (v128.load32_splat offset=0 (local.get $p3)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))
          (local.set $b0 (v128.load offset=32 (local.get $pb)))
          (local.set $b1 (v128.load offset=48 (local.get $pb)))
          (local.set $x (v128.load32_splat offset=4 (local.get $p0)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
          (local.set $x (v128.load32_splat offset=4 (local.get $p1)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
          (local.set $x (v128.load32_splat offset=4 (local.get $p2)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
          (local.set $x (v128.load32_splat offset=4 (local.get $p3)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))
          (local.set $b0 (v128.load offset=64 (local.get $pb)))
          (local.set $b1 (v128.load offset=80 (local.get $pb)))
          (local.set $x (v128.load32_splat offset=8 (local.get $p0)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
          (local.set $x (v128.load32_splat offset=8 (local.get $p1)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
          (local.set $x (v128.load32_splat offset=8 (local.get $p2)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
          (local.set $x (v128.load32_splat offset=8 (local.get $p3)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))
          (local.set $b0 (v128.load offset=96 (local.get $pb)))
          (local.set $b1 (v128.load offset=112 (local.get $pb)))
          (local.set $x (v128.load32_splat offset=12 (local.get $p0)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
          (local.set $x (v128.load32_splat offset=12 (local.get $p1)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
          (local.set $x (v128.load32_splat offset=12 (local.get $p2)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
          (local.set $x (v128.load32_splat offset=12 (local.get $p3)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))

          (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
          (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
          (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
          (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 128)))
          (br $k)))
        (v128.store offset=0 (local.get $pc) (local.get $c00))
        (v128.store offset=16 (local.get $pc) (local.get $c01))
        (v128.store offset=0 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 1))) (local.get $c10))
        (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 1))) (local.get $c11))
        (v128.store offset=0 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 2))) (local.get $c20))
        (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 2))) (local.get $c21))
        (v128.store offset=0 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 3))) (local.get $c30))
        (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 3))) (local.get $c31))
        (local.set $ib (i32.add (local.get $ib) (i32.const 4)))
        (br $rows)))
      (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
      (br $panels))))
;; gather(v, x, src, m, taps, seg, ld): the im2col of v (float32, ci channels per position, seg = 4 ci bytes): row r of X
;; (ld bytes) is, for each tap t, the seg bytes of the position src[r taps + t] reads (an i32 at src + 4 (r taps + t)),
;; or zeros where it is -1 (zero padding).
  (func $gather (export "gather")
    (param $v i32) (param $x i32) (param $src i32) (param $m i32) (param $taps i32) (param $seg i32) (param $ld i32)
    (local $r i32) (local $t i32) (local $q i32) (local $row i32) (local $dst i32)
    (local.set $r (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $m)))
      (local.set $row (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $ld))))
      (local.set $t (i32.const 0))
      (block $taps_done (loop $tap
        (br_if $taps_done (i32.ge_u (local.get $t) (local.get $taps)))
        (local.set $q (i32.load (local.get $src)))
        (local.set $dst (i32.add (local.get $row) (i32.mul (local.get $t) (local.get $seg))))
        (if (i32.lt_s (local.get $q) (i32.const 0))
          (then (memory.fill (local.get $dst) (i32.const 0) (local.get $seg)))
          (else (memory.copy (local.get $dst) (i32.add (local.get $v) (i32.mul (local.get $q) (local.get $seg)))
            (local.get $seg))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tap)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; scatter(g, out, src, m, taps, ci, ld): the adjoint of gather, out (zeroed by the caller) += for each row r of G (ld
  ;; bytes) and tap t, the ci float32 at column t ci onto the position src[r taps + t] (skipped where -1). Four lanes at a
  ;; time where ci is a multiple of 4.
  (func $scatter (export "scatter")
    (param $g i32) (param $out i32) (param $src i32) (param $m i32) (param $taps i32) (param $ci i32) (param $ld i32)
    (local $r i32) (local $t i32) (local $q i32) (local $from i32) (local $to i32) (local $end i32) (local $seg i32)
    (local.set $seg (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $m)))
      (local.set $t (i32.const 0))
      (block $taps_done (loop $tap
        (br_if $taps_done (i32.ge_u (local.get $t) (local.get $taps)))
        (local.set $q (i32.load (local.get $src)))
        (if (i32.ge_s (local.get $q) (i32.const 0))
          (then
            (local.set $from
              (i32.add (i32.add (local.get $g) (i32.mul (local.get $r) (local.get $ld))) (i32.mul (local.get $t) (local.get $seg))))
            (local.set $to (i32.add (local.get $out) (i32.mul (local.get $q) (local.get $seg))))
            (local.set $end (i32.add (local.get $to) (local.get $seg)))
            (if (i32.and (local.get $ci) (i32.const 3))
              (then
                (block $s_done (loop $s
                  (br_if $s_done (i32.ge_u (local.get $to) (local.get $end)))
                  (f32.store (local.get $to) (f32.add (f32.load (local.get $to)) (f32.load (local.get $from))))
                  (local.set $to (i32.add (local.get $to) (i32.const 4)))
                  (local.set $from (i32.add (local.get $from) (i32.const 4)))
                  (br $s))))
              (else
                (block $v_done (loop $vec
                  (br_if $v_done (i32.ge_u (local.get $to) (local.get $end)))
                  (v128.store (local.get $to) (f32x4.add (v128.load (local.get $to)) (v128.load (local.get $from))))
                  (local.set $to (i32.add (local.get $to) (i32.const 16)))
                  (local.set $from (i32.add (local.get $from) (i32.const 16)))
                  (br $vec)))))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tap)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))
;; cgs(q, count, n, w, h): one classical Gram-Schmidt pass of the Lanczos residual w (n float64, n even) against the
;; basis vectors q_0..q_{count-1} (n float64 each, consecutive at q): h_j = q_j . w for all j (written at h, float64),
;; then w -= sum_j h_j q_j. Four basis vectors per sweep over w (the pass is bound by reading the basis: twice per
;; pass, where one dot product and one update per vector read w four times as often); past the last vector the
;; pointers repeat it with a zero coefficient. Orthogonalisation only: its rounding is that of any float64
;; Gram-Schmidt (numerics/lanczos.ts repeats the pass when it removed more than half of w).
  (func $cgs (export "cgs") (param $q i32) (param $count i32) (param $n i32) (param $w i32) (param $h i32)
    (local $j i32) (local $vec i32) (local $last i32) (local $r i32) (local $end i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $x v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local.set $vec (i32.shl (local.get $n) (i32.const 3)))
    (local.set $last (i32.add (local.get $q) (i32.mul (i32.sub (local.get $count) (i32.const 1)) (local.get $vec))))
    (local.set $end (i32.add (local.get $w) (local.get $vec)))
    ;; h = Q^T w
    (local.set $j (i32.const 0))
    (block $dots_done (loop $dots
      (br_if $dots_done (i32.ge_u (local.get $j) (local.get $count)))
      (local.set $o0 (call $vector (local.get $q) (local.get $j) (local.get $vec) (local.get $last)))
      (local.set $o1 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 1)) (local.get $vec) (local.get $last)))
      (local.set $o2 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 2)) (local.get $vec) (local.get $last)))
      (local.set $o3 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 3)) (local.get $vec) (local.get $last)))
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
    ;; w -= Q h
    (local.set $j (i32.const 0))
    (block $updates_done (loop $updates
      (br_if $updates_done (i32.ge_u (local.get $j) (local.get $count)))
      (local.set $o0 (call $vector (local.get $q) (local.get $j) (local.get $vec) (local.get $last)))
      (local.set $o1 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 1)) (local.get $vec) (local.get $last)))
      (local.set $o2 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 2)) (local.get $vec) (local.get $last)))
      (local.set $o3 (call $vector (local.get $q) (i32.add (local.get $j) (i32.const 3)) (local.get $vec) (local.get $last)))
      (local.set $h0 (v128.load64_splat (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 3)))))
      (local.set $h1 (v128.load64_splat offset=8 (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 3)))))
      (local.set $h2 (v128.load64_splat offset=16 (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 3)))))
      (local.set $h3 (v128.load64_splat offset=24 (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 3)))))
      (local.set $r (local.get $w))
      (block $sweep2_done (loop $sweep2
        (br_if $sweep2_done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $x (v128.load (local.get $r)))
        (local.set $x (f64x2.relaxed_nmadd (local.get $h0) (v128.load (local.get $o0)) (local.get $x)))
        (local.set $x (f64x2.relaxed_nmadd (local.get $h1) (v128.load (local.get $o1)) (local.get $x)))
        (local.set $x (f64x2.relaxed_nmadd (local.get $h2) (v128.load (local.get $o2)) (local.get $x)))
        (local.set $x (f64x2.relaxed_nmadd (local.get $h3) (v128.load (local.get $o3)) (local.get $x)))
        (v128.store (local.get $r) (local.get $x))
        (local.set $o0 (i32.add (local.get $o0) (i32.const 16)))
        (local.set $o1 (i32.add (local.get $o1) (i32.const 16)))
        (local.set $o2 (i32.add (local.get $o2) (i32.const 16)))
        (local.set $o3 (i32.add (local.get $o3) (i32.const 16)))
        (local.set $r (i32.add (local.get $r) (i32.const 16)))
        (br $sweep2)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $updates))))

  ;; The address of basis vector j, or of the last one past the end (its coefficient is then 0).
  (func $vector (param $q i32) (param $j i32) (param $vec i32) (param $last i32) (result i32)
    (select (local.get $last) (i32.add (local.get $q) (i32.mul (local.get $j) (local.get $vec)))
      (i32.gt_u (i32.add (local.get $q) (i32.mul (local.get $j) (local.get $vec))) (local.get $last))))

  ;; h[j] = the sum of the two lanes of a, or 0 past the last basis vector (h has room for count + 3 values).
  (func $putDot (param $h i32) (param $j i32) (param $count i32) (param $a v128)
    (f64.store (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 3)))
      (select (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))) (f64.const 0)
        (i32.lt_u (local.get $j) (local.get $count)))))
)
