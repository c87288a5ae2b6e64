;; The fused F4 power-iteration passes (Singla & Feizi 2021, the four reshapes R, S, T, U of a conv kernel), in
;; float32 SIMD (f32x4). Bound by engine/bounds/methods/f4-simd.ts; f4-host.ts holds the JavaScript passes with
;; the same layout and index conventions, and lays out the vectors of the block view.
;;
;; Why: V8 compiles the JS passes to scalar code (~1.5 GMAC/s); 4-wide float32 lanes do the same four products
;; several times faster, which decides whether 50 power iterations over ResNet-18 keep pace with a BLAS (PyTorch)
;; implementation. Used for c_out % 4 == 0 (every ResNet/VGG layer).
;;
;; W[k,l,i,:] is a row of c_out weights (kernel h x w x c_in x c_out, rows 4 c_out bytes apart, a contiguous copy
;; of one c_out block: reading a block in place, rows a 2 KB stride apart, was 1.7x slower on 3x3x512x512).
;;   apply (v -> y):  y_T[o] += v_T[k,l,i] W, y_R[k,o] += v_R[l,i] W, y_S[l,o] += v_S[k,i] W, y_U[k,l,o] += v_U[i] W
;;   applyT (u -> z): z_T[k,l,i] += W . u_T, z_R[l,i] += W . u_R[k], z_S[k,i] += W . u_S[l], z_U[i] += W . u_U[k,l]
;; with the loops over o in steps of 4. Rows i go in pairs: in apply each y vector is loaded and stored once for
;; both rows (summed in row order, as one row at a time would), in applyT each u vector load feeds both rows
;; (10-40% on 3x3x512x{256,512}).
;;
;; apply2 / apply1 unroll o by 2 / 1 vectors (f4-simd.ts takes the largest that divides c_out / 4). Measured in V8
;; on 3x3x512x512: apply 1.15 ms unrolled once, 0.89 ms four times; applyT gains nothing from unrolling (its
;; accumulators would spill the sixteen vector registers). Keeping apply's outputs in registers across rows instead
;; (columns outer, rows inner) was slower for power-of-two c_out: rows 2^k bytes apart fall into a few L1 sets.
;;
;; All parameters are byte offsets or sizes: w h wd (the kernel's height and width) ci co, the four input vectors
;; in*, the four output vectors out*. Variant (kernels/index.ts): relaxed_madd is lowered to mul + add where
;; relaxed SIMD is off.
(module
  ;; The memory is imported so that F4's helper thread can share it (the shared variant, kernels/index.ts): each
  ;; thread runs its own c_out blocks on the one copy of the kernel and the vectors (f4-parallel.ts).
  (import "env" "memory" (memory 0))

  (func (export "apply2")
    (param $w i32) (param $h i32) (param $wd i32) (param $ci i32) (param $co i32)
    (param $inT i32) (param $inR i32) (param $inS i32) (param $inU i32)
    (param $outT i32) (param $outR i32) (param $outS i32) (param $outU i32)
    (local $k i32) (local $l i32) (local $i i32) (local $off i32) (local $row i32) (local $kl i32)
    (local $wp i32) (local $pr i32) (local $ps i32) (local $pu i32) (local $pt i32) (local $end i32)
    (local $colT i32) (local $colR i32) (local $colS i32)
    ;; a_X: the coefficients of rows i (..0) and i + 1 (..1); x: their weights, 2 vector(s) each
    (local $aT0 v128) (local $aR0 v128) (local $aS0 v128) (local $aU0 v128)
    (local $aT1 v128) (local $aR1 v128) (local $aS1 v128) (local $aU1 v128)
    (local $x00 v128) (local $x01 v128) (local $x10 v128) (local $x11 v128)
    (local.set $row (i32.mul (local.get $co) (i32.const 4)))
    (local.set $k (i32.const 0))
    (block $k_done (loop $over_k
      (br_if $k_done (i32.ge_u (local.get $k) (local.get $h)))
      (local.set $l (i32.const 0))
      (block $l_done (loop $over_l
        (br_if $l_done (i32.ge_u (local.get $l) (local.get $wd)))
        (local.set $kl (i32.add (i32.mul (local.get $k) (local.get $wd)) (local.get $l)))
        ;; rows of the R, S and U vectors for this (k, l): [k, :], [l, :], [k, l, :]
        (local.set $pr (i32.add (local.get $outR) (i32.mul (local.get $k) (local.get $row))))
        (local.set $ps (i32.add (local.get $outS) (i32.mul (local.get $l) (local.get $row))))
        (local.set $pu (i32.add (local.get $outU) (i32.mul (local.get $kl) (local.get $row))))
        ;; rows i, i + 1 of W[k,l] in pairs ...
        (local.set $i (i32.const 0))
        (local.set $end (i32.sub (local.get $ci) (i32.const 1)))
        (block $pairs_done (loop $pairs
          (br_if $pairs_done (i32.ge_s (local.get $i) (local.get $end)))
          ;; row i's column in v_T [kl, :], v_R [l, :], v_S [k, :] (in v_U it is i); row i + 1's is the next
          (local.set $colT (i32.add (i32.mul (local.get $kl) (local.get $ci)) (local.get $i)))
          (local.set $colR (i32.add (i32.mul (local.get $l) (local.get $ci)) (local.get $i)))
          (local.set $colS (i32.add (i32.mul (local.get $k) (local.get $ci)) (local.get $i)))
          ;; a_X = v_X[col] splatted, for row i and row i + 1
          (local.set $aT0 (f32x4.splat (f32.load (i32.add (local.get $inT) (i32.shl (local.get $colT) (i32.const 2))))))
          (local.set $aR0 (f32x4.splat (f32.load (i32.add (local.get $inR) (i32.shl (local.get $colR) (i32.const 2))))))
          (local.set $aS0 (f32x4.splat (f32.load (i32.add (local.get $inS) (i32.shl (local.get $colS) (i32.const 2))))))
          (local.set $aU0 (f32x4.splat (f32.load (i32.add (local.get $inU) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $aT1 (f32x4.splat
            (f32.load offset=4 (i32.add (local.get $inT) (i32.shl (local.get $colT) (i32.const 2))))))
          (local.set $aR1 (f32x4.splat
            (f32.load offset=4 (i32.add (local.get $inR) (i32.shl (local.get $colR) (i32.const 2))))))
          (local.set $aS1 (f32x4.splat
            (f32.load offset=4 (i32.add (local.get $inS) (i32.shl (local.get $colS) (i32.const 2))))))
          (local.set $aU1 (f32x4.splat
            (f32.load offset=4 (i32.add (local.get $inU) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $colT) (local.get $row))))
          (local.set $pt (i32.add (local.get $wp) (local.get $row)))
          (local.set $off (i32.const 0))
          (block $o2_done (loop $o2
            (br_if $o2_done (i32.ge_u (local.get $off) (local.get $row)))
            ;; x = W[k,l,i,o..o+7] and W[k,l,i+1,..]
            (local.set $x00 (v128.load (i32.add (local.get $wp) (local.get $off))))
            (local.set $x01 (v128.load offset=16 (i32.add (local.get $wp) (local.get $off))))
            (local.set $x10 (v128.load (i32.add (local.get $pt) (local.get $off))))
            (local.set $x11 (v128.load offset=16 (i32.add (local.get $pt) (local.get $off))))
            ;; y_X[o..] += a_X W[k,l,i,o..] + a'_X W[k,l,i+1,o..]
            (v128.store (i32.add (local.get $outT) (local.get $off))
              (f32x4.relaxed_madd (local.get $aT1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aT0) (local.get $x00)
                  (v128.load (i32.add (local.get $outT) (local.get $off))))))
            (v128.store (i32.add (local.get $pr) (local.get $off))
              (f32x4.relaxed_madd (local.get $aR1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aR0) (local.get $x00)
                  (v128.load (i32.add (local.get $pr) (local.get $off))))))
            (v128.store (i32.add (local.get $ps) (local.get $off))
              (f32x4.relaxed_madd (local.get $aS1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aS0) (local.get $x00)
                  (v128.load (i32.add (local.get $ps) (local.get $off))))))
            (v128.store (i32.add (local.get $pu) (local.get $off))
              (f32x4.relaxed_madd (local.get $aU1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aU0) (local.get $x00)
                  (v128.load (i32.add (local.get $pu) (local.get $off))))))
            (v128.store offset=16 (i32.add (local.get $outT) (local.get $off))
              (f32x4.relaxed_madd (local.get $aT1) (local.get $x11)
                (f32x4.relaxed_madd (local.get $aT0) (local.get $x01)
                  (v128.load offset=16 (i32.add (local.get $outT) (local.get $off))))))
            (v128.store offset=16 (i32.add (local.get $pr) (local.get $off))
              (f32x4.relaxed_madd (local.get $aR1) (local.get $x11)
                (f32x4.relaxed_madd (local.get $aR0) (local.get $x01)
                  (v128.load offset=16 (i32.add (local.get $pr) (local.get $off))))))
            (v128.store offset=16 (i32.add (local.get $ps) (local.get $off))
              (f32x4.relaxed_madd (local.get $aS1) (local.get $x11)
                (f32x4.relaxed_madd (local.get $aS0) (local.get $x01)
                  (v128.load offset=16 (i32.add (local.get $ps) (local.get $off))))))
            (v128.store offset=16 (i32.add (local.get $pu) (local.get $off))
              (f32x4.relaxed_madd (local.get $aU1) (local.get $x11)
                (f32x4.relaxed_madd (local.get $aU0) (local.get $x01)
                  (v128.load offset=16 (i32.add (local.get $pu) (local.get $off))))))
            (local.set $off (i32.add (local.get $off) (i32.const 32)))
            (br $o2)))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $pairs)))
        ;; ... then an odd last row alone
        (if (i32.lt_s (local.get $i) (local.get $ci)) (then
          ;; row i's column in v_T [kl, :], v_R [l, :], v_S [k, :] (in v_U it is i); row i + 1's is the next
          (local.set $colT (i32.add (i32.mul (local.get $kl) (local.get $ci)) (local.get $i)))
          (local.set $colR (i32.add (i32.mul (local.get $l) (local.get $ci)) (local.get $i)))
          (local.set $colS (i32.add (i32.mul (local.get $k) (local.get $ci)) (local.get $i)))
          ;; a_X = v_X[col] splatted, for row i
          (local.set $aT0 (f32x4.splat (f32.load (i32.add (local.get $inT) (i32.shl (local.get $colT) (i32.const 2))))))
          (local.set $aR0 (f32x4.splat (f32.load (i32.add (local.get $inR) (i32.shl (local.get $colR) (i32.const 2))))))
          (local.set $aS0 (f32x4.splat (f32.load (i32.add (local.get $inS) (i32.shl (local.get $colS) (i32.const 2))))))
          (local.set $aU0 (f32x4.splat (f32.load (i32.add (local.get $inU) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $colT) (local.get $row))))
          (local.set $pt (i32.add (local.get $wp) (local.get $row)))
          (local.set $off (i32.const 0))
          (block $o1_done (loop $o1
            (br_if $o1_done (i32.ge_u (local.get $off) (local.get $row)))
            ;; x = W[k,l,i,o..o+7]
            (local.set $x00 (v128.load (i32.add (local.get $wp) (local.get $off))))
            (local.set $x01 (v128.load offset=16 (i32.add (local.get $wp) (local.get $off))))
            ;; y_X[o..] += a_X W[k,l,i,o..]
            (v128.store (i32.add (local.get $outT) (local.get $off))
              (f32x4.relaxed_madd (local.get $aT0) (local.get $x00)
                (v128.load (i32.add (local.get $outT) (local.get $off)))))
            (v128.store (i32.add (local.get $pr) (local.get $off))
              (f32x4.relaxed_madd (local.get $aR0) (local.get $x00)
                (v128.load (i32.add (local.get $pr) (local.get $off)))))
            (v128.store (i32.add (local.get $ps) (local.get $off))
              (f32x4.relaxed_madd (local.get $aS0) (local.get $x00)
                (v128.load (i32.add (local.get $ps) (local.get $off)))))
            (v128.store (i32.add (local.get $pu) (local.get $off))
              (f32x4.relaxed_madd (local.get $aU0) (local.get $x00)
                (v128.load (i32.add (local.get $pu) (local.get $off)))))
            (v128.store offset=16 (i32.add (local.get $outT) (local.get $off))
              (f32x4.relaxed_madd (local.get $aT0) (local.get $x01)
                (v128.load offset=16 (i32.add (local.get $outT) (local.get $off)))))
            (v128.store offset=16 (i32.add (local.get $pr) (local.get $off))
              (f32x4.relaxed_madd (local.get $aR0) (local.get $x01)
                (v128.load offset=16 (i32.add (local.get $pr) (local.get $off)))))
            (v128.store offset=16 (i32.add (local.get $ps) (local.get $off))
              (f32x4.relaxed_madd (local.get $aS0) (local.get $x01)
                (v128.load offset=16 (i32.add (local.get $ps) (local.get $off)))))
            (v128.store offset=16 (i32.add (local.get $pu) (local.get $off))
              (f32x4.relaxed_madd (local.get $aU0) (local.get $x01)
                (v128.load offset=16 (i32.add (local.get $pu) (local.get $off)))))
            (local.set $off (i32.add (local.get $off) (i32.const 32)))
            (br $o1)))
        ))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $over_l)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $over_k)))
  )

  (func (export "apply1")
    (param $w i32) (param $h i32) (param $wd i32) (param $ci i32) (param $co i32)
    (param $inT i32) (param $inR i32) (param $inS i32) (param $inU i32)
    (param $outT i32) (param $outR i32) (param $outS i32) (param $outU i32)
    (local $k i32) (local $l i32) (local $i i32) (local $off i32) (local $row i32) (local $kl i32)
    (local $wp i32) (local $pr i32) (local $ps i32) (local $pu i32) (local $pt i32) (local $end i32)
    (local $colT i32) (local $colR i32) (local $colS i32)
    ;; a_X: the coefficients of rows i (..0) and i + 1 (..1); x: their weights, 1 vector(s) each
    (local $aT0 v128) (local $aR0 v128) (local $aS0 v128) (local $aU0 v128)
    (local $aT1 v128) (local $aR1 v128) (local $aS1 v128) (local $aU1 v128)
    (local $x00 v128) (local $x10 v128)
    (local.set $row (i32.mul (local.get $co) (i32.const 4)))
    (local.set $k (i32.const 0))
    (block $k_done (loop $over_k
      (br_if $k_done (i32.ge_u (local.get $k) (local.get $h)))
      (local.set $l (i32.const 0))
      (block $l_done (loop $over_l
        (br_if $l_done (i32.ge_u (local.get $l) (local.get $wd)))
        (local.set $kl (i32.add (i32.mul (local.get $k) (local.get $wd)) (local.get $l)))
        ;; rows of the R, S and U vectors for this (k, l): [k, :], [l, :], [k, l, :]
        (local.set $pr (i32.add (local.get $outR) (i32.mul (local.get $k) (local.get $row))))
        (local.set $ps (i32.add (local.get $outS) (i32.mul (local.get $l) (local.get $row))))
        (local.set $pu (i32.add (local.get $outU) (i32.mul (local.get $kl) (local.get $row))))
        ;; rows i, i + 1 of W[k,l] in pairs ...
        (local.set $i (i32.const 0))
        (local.set $end (i32.sub (local.get $ci) (i32.const 1)))
        (block $pairs_done (loop $pairs
          (br_if $pairs_done (i32.ge_s (local.get $i) (local.get $end)))
          ;; row i's column in v_T [kl, :], v_R [l, :], v_S [k, :] (in v_U it is i); row i + 1's is the next
          (local.set $colT (i32.add (i32.mul (local.get $kl) (local.get $ci)) (local.get $i)))
          (local.set $colR (i32.add (i32.mul (local.get $l) (local.get $ci)) (local.get $i)))
          (local.set $colS (i32.add (i32.mul (local.get $k) (local.get $ci)) (local.get $i)))
          ;; a_X = v_X[col] splatted, for row i and row i + 1
          (local.set $aT0 (f32x4.splat (f32.load (i32.add (local.get $inT) (i32.shl (local.get $colT) (i32.const 2))))))
          (local.set $aR0 (f32x4.splat (f32.load (i32.add (local.get $inR) (i32.shl (local.get $colR) (i32.const 2))))))
          (local.set $aS0 (f32x4.splat (f32.load (i32.add (local.get $inS) (i32.shl (local.get $colS) (i32.const 2))))))
          (local.set $aU0 (f32x4.splat (f32.load (i32.add (local.get $inU) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $aT1 (f32x4.splat
            (f32.load offset=4 (i32.add (local.get $inT) (i32.shl (local.get $colT) (i32.const 2))))))
          (local.set $aR1 (f32x4.splat
            (f32.load offset=4 (i32.add (local.get $inR) (i32.shl (local.get $colR) (i32.const 2))))))
          (local.set $aS1 (f32x4.splat
            (f32.load offset=4 (i32.add (local.get $inS) (i32.shl (local.get $colS) (i32.const 2))))))
          (local.set $aU1 (f32x4.splat
            (f32.load offset=4 (i32.add (local.get $inU) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $colT) (local.get $row))))
          (local.set $pt (i32.add (local.get $wp) (local.get $row)))
          (local.set $off (i32.const 0))
          (block $o2_done (loop $o2
            (br_if $o2_done (i32.ge_u (local.get $off) (local.get $row)))
            ;; x = W[k,l,i,o..o+3] and W[k,l,i+1,..]
            (local.set $x00 (v128.load (i32.add (local.get $wp) (local.get $off))))
            (local.set $x10 (v128.load (i32.add (local.get $pt) (local.get $off))))
            ;; y_X[o..] += a_X W[k,l,i,o..] + a'_X W[k,l,i+1,o..]
            (v128.store (i32.add (local.get $outT) (local.get $off))
              (f32x4.relaxed_madd (local.get $aT1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aT0) (local.get $x00)
                  (v128.load (i32.add (local.get $outT) (local.get $off))))))
            (v128.store (i32.add (local.get $pr) (local.get $off))
              (f32x4.relaxed_madd (local.get $aR1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aR0) (local.get $x00)
                  (v128.load (i32.add (local.get $pr) (local.get $off))))))
            (v128.store (i32.add (local.get $ps) (local.get $off))
              (f32x4.relaxed_madd (local.get $aS1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aS0) (local.get $x00)
                  (v128.load (i32.add (local.get $ps) (local.get $off))))))
            (v128.store (i32.add (local.get $pu) (local.get $off))
              (f32x4.relaxed_madd (local.get $aU1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aU0) (local.get $x00)
                  (v128.load (i32.add (local.get $pu) (local.get $off))))))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $o2)))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $pairs)))
        ;; ... then an odd last row alone
        (if (i32.lt_s (local.get $i) (local.get $ci)) (then
          ;; row i's column in v_T [kl, :], v_R [l, :], v_S [k, :] (in v_U it is i); row i + 1's is the next
          (local.set $colT (i32.add (i32.mul (local.get $kl) (local.get $ci)) (local.get $i)))
          (local.set $colR (i32.add (i32.mul (local.get $l) (local.get $ci)) (local.get $i)))
          (local.set $colS (i32.add (i32.mul (local.get $k) (local.get $ci)) (local.get $i)))
          ;; a_X = v_X[col] splatted, for row i
          (local.set $aT0 (f32x4.splat (f32.load (i32.add (local.get $inT) (i32.shl (local.get $colT) (i32.const 2))))))
          (local.set $aR0 (f32x4.splat (f32.load (i32.add (local.get $inR) (i32.shl (local.get $colR) (i32.const 2))))))
          (local.set $aS0 (f32x4.splat (f32.load (i32.add (local.get $inS) (i32.shl (local.get $colS) (i32.const 2))))))
          (local.set $aU0 (f32x4.splat (f32.load (i32.add (local.get $inU) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $colT) (local.get $row))))
          (local.set $pt (i32.add (local.get $wp) (local.get $row)))
          (local.set $off (i32.const 0))
          (block $o1_done (loop $o1
            (br_if $o1_done (i32.ge_u (local.get $off) (local.get $row)))
            ;; x = W[k,l,i,o..o+3]
            (local.set $x00 (v128.load (i32.add (local.get $wp) (local.get $off))))
            ;; y_X[o..] += a_X W[k,l,i,o..]
            (v128.store (i32.add (local.get $outT) (local.get $off))
              (f32x4.relaxed_madd (local.get $aT0) (local.get $x00)
                (v128.load (i32.add (local.get $outT) (local.get $off)))))
            (v128.store (i32.add (local.get $pr) (local.get $off))
              (f32x4.relaxed_madd (local.get $aR0) (local.get $x00)
                (v128.load (i32.add (local.get $pr) (local.get $off)))))
            (v128.store (i32.add (local.get $ps) (local.get $off))
              (f32x4.relaxed_madd (local.get $aS0) (local.get $x00)
                (v128.load (i32.add (local.get $ps) (local.get $off)))))
            (v128.store (i32.add (local.get $pu) (local.get $off))
              (f32x4.relaxed_madd (local.get $aU0) (local.get $x00)
                (v128.load (i32.add (local.get $pu) (local.get $off)))))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $o1)))
        ))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $over_l)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $over_k)))
  )

  (func (export "applyT")
    (param $w i32) (param $h i32) (param $wd i32) (param $ci i32) (param $co i32)
    (param $inT i32) (param $inR i32) (param $inS i32) (param $inU i32)
    (param $outT i32) (param $outR i32) (param $outS i32) (param $outU i32)
    (local $k i32) (local $l i32) (local $i i32) (local $off i32) (local $row i32) (local $kl i32)
    (local $wp i32) (local $pr i32) (local $ps i32) (local $pu i32) (local $pt i32) (local $end i32)
    (local $colT i32) (local $colR i32) (local $colS i32)
    ;; z_X: the running dot products W[k,l,i,:] . u_X (..0) and W[k,l,i+1,:] . u_X (..1); x: the two W rows;
    ;; u: a vector of u_X
    (local $zT0 v128) (local $zR0 v128) (local $zS0 v128) (local $zU0 v128)
    (local $zT1 v128) (local $zR1 v128) (local $zS1 v128) (local $zU1 v128)
    (local $x0 v128) (local $x1 v128) (local $u v128)
    (local.set $row (i32.mul (local.get $co) (i32.const 4)))
    (local.set $k (i32.const 0))
    (block $k_done (loop $over_k
      (br_if $k_done (i32.ge_u (local.get $k) (local.get $h)))
      (local.set $l (i32.const 0))
      (block $l_done (loop $over_l
        (br_if $l_done (i32.ge_u (local.get $l) (local.get $wd)))
        (local.set $kl (i32.add (i32.mul (local.get $k) (local.get $wd)) (local.get $l)))
        ;; rows of the R, S and U vectors for this (k, l): [k, :], [l, :], [k, l, :]
        (local.set $pr (i32.add (local.get $inR) (i32.mul (local.get $k) (local.get $row))))
        (local.set $ps (i32.add (local.get $inS) (i32.mul (local.get $l) (local.get $row))))
        (local.set $pu (i32.add (local.get $inU) (i32.mul (local.get $kl) (local.get $row))))
        ;; rows i, i + 1 of W[k,l] in pairs ...
        (local.set $i (i32.const 0))
        (local.set $end (i32.sub (local.get $ci) (i32.const 1)))
        (block $pairs_done (loop $pairs
          (br_if $pairs_done (i32.ge_s (local.get $i) (local.get $end)))
          (local.set $zT0 (f32x4.splat (f32.const 0))) (local.set $zR0 (f32x4.splat (f32.const 0)))
          (local.set $zS0 (f32x4.splat (f32.const 0))) (local.set $zU0 (f32x4.splat (f32.const 0)))
          (local.set $zT1 (f32x4.splat (f32.const 0))) (local.set $zR1 (f32x4.splat (f32.const 0)))
          (local.set $zS1 (f32x4.splat (f32.const 0))) (local.set $zU1 (f32x4.splat (f32.const 0)))
          ;; row i's column in v_T [kl, :], v_R [l, :], v_S [k, :] (in v_U it is i); row i + 1's is the next
          (local.set $colT (i32.add (i32.mul (local.get $kl) (local.get $ci)) (local.get $i)))
          (local.set $colR (i32.add (i32.mul (local.get $l) (local.get $ci)) (local.get $i)))
          (local.set $colS (i32.add (i32.mul (local.get $k) (local.get $ci)) (local.get $i)))
          (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $colT) (local.get $row))))
          (local.set $pt (i32.add (local.get $wp) (local.get $row)))
          (local.set $off (i32.const 0))
          (block $o2_done (loop $o2
            (br_if $o2_done (i32.ge_u (local.get $off) (local.get $row)))
            (local.set $x0 (v128.load (i32.add (local.get $wp) (local.get $off))))
            (local.set $x1 (v128.load (i32.add (local.get $pt) (local.get $off))))
            (local.set $u (v128.load (i32.add (local.get $inT) (local.get $off))))
            (local.set $zT0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zT0)))
            (local.set $zT1 (f32x4.relaxed_madd (local.get $u) (local.get $x1) (local.get $zT1)))
            (local.set $u (v128.load (i32.add (local.get $pr) (local.get $off))))
            (local.set $zR0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zR0)))
            (local.set $zR1 (f32x4.relaxed_madd (local.get $u) (local.get $x1) (local.get $zR1)))
            (local.set $u (v128.load (i32.add (local.get $ps) (local.get $off))))
            (local.set $zS0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zS0)))
            (local.set $zS1 (f32x4.relaxed_madd (local.get $u) (local.get $x1) (local.get $zS1)))
            (local.set $u (v128.load (i32.add (local.get $pu) (local.get $off))))
            (local.set $zU0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zU0)))
            (local.set $zU1 (f32x4.relaxed_madd (local.get $u) (local.get $x1) (local.get $zU1)))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $o2)))
          ;; z_X[col] += the four lanes of the sums, added in lane order
          (f32.store (i32.add (local.get $outT) (i32.shl (local.get $colT) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $outT) (i32.shl (local.get $colT) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zT0)) (f32x4.extract_lane 1 (local.get $zT0)))
                (f32x4.extract_lane 2 (local.get $zT0))) (f32x4.extract_lane 3 (local.get $zT0)))))
          (f32.store (i32.add (local.get $outR) (i32.shl (local.get $colR) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $outR) (i32.shl (local.get $colR) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zR0)) (f32x4.extract_lane 1 (local.get $zR0)))
                (f32x4.extract_lane 2 (local.get $zR0))) (f32x4.extract_lane 3 (local.get $zR0)))))
          (f32.store (i32.add (local.get $outS) (i32.shl (local.get $colS) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $outS) (i32.shl (local.get $colS) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zS0)) (f32x4.extract_lane 1 (local.get $zS0)))
                (f32x4.extract_lane 2 (local.get $zS0))) (f32x4.extract_lane 3 (local.get $zS0)))))
          (f32.store (i32.add (local.get $outU) (i32.shl (local.get $i) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $outU) (i32.shl (local.get $i) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zU0)) (f32x4.extract_lane 1 (local.get $zU0)))
                (f32x4.extract_lane 2 (local.get $zU0))) (f32x4.extract_lane 3 (local.get $zU0)))))
          (f32.store offset=4 (i32.add (local.get $outT) (i32.shl (local.get $colT) (i32.const 2)))
            (f32.add (f32.load offset=4 (i32.add (local.get $outT) (i32.shl (local.get $colT) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zT1)) (f32x4.extract_lane 1 (local.get $zT1)))
                (f32x4.extract_lane 2 (local.get $zT1))) (f32x4.extract_lane 3 (local.get $zT1)))))
          (f32.store offset=4 (i32.add (local.get $outR) (i32.shl (local.get $colR) (i32.const 2)))
            (f32.add (f32.load offset=4 (i32.add (local.get $outR) (i32.shl (local.get $colR) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zR1)) (f32x4.extract_lane 1 (local.get $zR1)))
                (f32x4.extract_lane 2 (local.get $zR1))) (f32x4.extract_lane 3 (local.get $zR1)))))
          (f32.store offset=4 (i32.add (local.get $outS) (i32.shl (local.get $colS) (i32.const 2)))
            (f32.add (f32.load offset=4 (i32.add (local.get $outS) (i32.shl (local.get $colS) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zS1)) (f32x4.extract_lane 1 (local.get $zS1)))
                (f32x4.extract_lane 2 (local.get $zS1))) (f32x4.extract_lane 3 (local.get $zS1)))))
          (f32.store offset=4 (i32.add (local.get $outU) (i32.shl (local.get $i) (i32.const 2)))
            (f32.add (f32.load offset=4 (i32.add (local.get $outU) (i32.shl (local.get $i) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zU1)) (f32x4.extract_lane 1 (local.get $zU1)))
                (f32x4.extract_lane 2 (local.get $zU1))) (f32x4.extract_lane 3 (local.get $zU1)))))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $pairs)))
        ;; ... then an odd last row alone
        (if (i32.lt_s (local.get $i) (local.get $ci)) (then
          (local.set $zT0 (f32x4.splat (f32.const 0))) (local.set $zR0 (f32x4.splat (f32.const 0)))
          (local.set $zS0 (f32x4.splat (f32.const 0))) (local.set $zU0 (f32x4.splat (f32.const 0)))
          ;; row i's column in v_T [kl, :], v_R [l, :], v_S [k, :] (in v_U it is i); row i + 1's is the next
          (local.set $colT (i32.add (i32.mul (local.get $kl) (local.get $ci)) (local.get $i)))
          (local.set $colR (i32.add (i32.mul (local.get $l) (local.get $ci)) (local.get $i)))
          (local.set $colS (i32.add (i32.mul (local.get $k) (local.get $ci)) (local.get $i)))
          (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $colT) (local.get $row))))
          (local.set $pt (i32.add (local.get $wp) (local.get $row)))
          (local.set $off (i32.const 0))
          (block $o1_done (loop $o1
            (br_if $o1_done (i32.ge_u (local.get $off) (local.get $row)))
            (local.set $x0 (v128.load (i32.add (local.get $wp) (local.get $off))))
            (local.set $u (v128.load (i32.add (local.get $inT) (local.get $off))))
            (local.set $zT0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zT0)))
            (local.set $u (v128.load (i32.add (local.get $pr) (local.get $off))))
            (local.set $zR0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zR0)))
            (local.set $u (v128.load (i32.add (local.get $ps) (local.get $off))))
            (local.set $zS0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zS0)))
            (local.set $u (v128.load (i32.add (local.get $pu) (local.get $off))))
            (local.set $zU0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zU0)))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $o1)))
          ;; z_X[col] += the four lanes of the sums, added in lane order
          (f32.store (i32.add (local.get $outT) (i32.shl (local.get $colT) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $outT) (i32.shl (local.get $colT) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zT0)) (f32x4.extract_lane 1 (local.get $zT0)))
                (f32x4.extract_lane 2 (local.get $zT0))) (f32x4.extract_lane 3 (local.get $zT0)))))
          (f32.store (i32.add (local.get $outR) (i32.shl (local.get $colR) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $outR) (i32.shl (local.get $colR) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zR0)) (f32x4.extract_lane 1 (local.get $zR0)))
                (f32x4.extract_lane 2 (local.get $zR0))) (f32x4.extract_lane 3 (local.get $zR0)))))
          (f32.store (i32.add (local.get $outS) (i32.shl (local.get $colS) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $outS) (i32.shl (local.get $colS) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zS0)) (f32x4.extract_lane 1 (local.get $zS0)))
                (f32x4.extract_lane 2 (local.get $zS0))) (f32x4.extract_lane 3 (local.get $zS0)))))
          (f32.store (i32.add (local.get $outU) (i32.shl (local.get $i) (i32.const 2)))
            (f32.add (f32.load (i32.add (local.get $outU) (i32.shl (local.get $i) (i32.const 2))))
              (f32.add
                (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zU0)) (f32x4.extract_lane 1 (local.get $zU0)))
                (f32x4.extract_lane 2 (local.get $zU0))) (f32x4.extract_lane 3 (local.get $zU0)))))
        ))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $over_l)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $over_k)))
  )

;; R and S alone (f4-estimates.ts, once T's and U's Lanczos runs have stopped): apply2 and applyT without the T and
  ;; U products, each R and S sum formed in the same order as there, so the same values as the four-way passes at
  ;; about half their multiply-adds, loads and stores. For c_in even and c_out a multiple of 8 (callers check).
  ;; Parameters: w h wd ci co (as above), then inR inS, outR outS.
  (func (export "applyRS")
    (param $w i32) (param $h i32) (param $wd i32) (param $ci i32) (param $co i32)
    (param $inR i32) (param $inS i32) (param $outR i32) (param $outS i32)
    (local $k i32) (local $l i32) (local $i i32) (local $off i32) (local $row i32)
    (local $wp i32) (local $pr i32) (local $ps i32) (local $pt i32) (local $colR i32) (local $colS i32)
    (local $aR0 v128) (local $aS0 v128) (local $aR1 v128) (local $aS1 v128)
    (local $x00 v128) (local $x01 v128) (local $x10 v128) (local $x11 v128)
    (local.set $row (i32.mul (local.get $co) (i32.const 4)))
    (local.set $wp (local.get $w))
    (local.set $k (i32.const 0))
    (block $k_done (loop $over_k
      (br_if $k_done (i32.ge_u (local.get $k) (local.get $h)))
      (local.set $l (i32.const 0))
      (block $l_done (loop $over_l
        (br_if $l_done (i32.ge_u (local.get $l) (local.get $wd)))
        (local.set $pr (i32.add (local.get $outR) (i32.mul (local.get $k) (local.get $row))))
        (local.set $ps (i32.add (local.get $outS) (i32.mul (local.get $l) (local.get $row))))
        (local.set $colR (i32.shl (i32.mul (local.get $l) (local.get $ci)) (i32.const 2)))
        (local.set $colS (i32.shl (i32.mul (local.get $k) (local.get $ci)) (i32.const 2)))
        (local.set $i (i32.const 0))
        (block $pairs_done (loop $pairs
          (br_if $pairs_done (i32.ge_u (local.get $i) (local.get $ci)))
          ;; a_X = v_X[col] splatted for rows i and i + 1 (byte offsets colR, colS advance with i)
          (local.set $aR0 (f32x4.splat (f32.load (i32.add (local.get $inR) (local.get $colR)))))
          (local.set $aS0 (f32x4.splat (f32.load (i32.add (local.get $inS) (local.get $colS)))))
          (local.set $aR1 (f32x4.splat (f32.load offset=4 (i32.add (local.get $inR) (local.get $colR)))))
          (local.set $aS1 (f32x4.splat (f32.load offset=4 (i32.add (local.get $inS) (local.get $colS)))))
          (local.set $pt (i32.add (local.get $wp) (local.get $row)))
          (local.set $off (i32.const 0))
          (block $o2_done (loop $o2
            (br_if $o2_done (i32.ge_u (local.get $off) (local.get $row)))
            (local.set $x00 (v128.load (i32.add (local.get $wp) (local.get $off))))
            (local.set $x01 (v128.load offset=16 (i32.add (local.get $wp) (local.get $off))))
            (local.set $x10 (v128.load (i32.add (local.get $pt) (local.get $off))))
            (local.set $x11 (v128.load offset=16 (i32.add (local.get $pt) (local.get $off))))
            (v128.store (i32.add (local.get $pr) (local.get $off))
              (f32x4.relaxed_madd (local.get $aR1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aR0) (local.get $x00)
                  (v128.load (i32.add (local.get $pr) (local.get $off))))))
            (v128.store (i32.add (local.get $ps) (local.get $off))
              (f32x4.relaxed_madd (local.get $aS1) (local.get $x10)
                (f32x4.relaxed_madd (local.get $aS0) (local.get $x00)
                  (v128.load (i32.add (local.get $ps) (local.get $off))))))
            (v128.store offset=16 (i32.add (local.get $pr) (local.get $off))
              (f32x4.relaxed_madd (local.get $aR1) (local.get $x11)
                (f32x4.relaxed_madd (local.get $aR0) (local.get $x01)
                  (v128.load offset=16 (i32.add (local.get $pr) (local.get $off))))))
            (v128.store offset=16 (i32.add (local.get $ps) (local.get $off))
              (f32x4.relaxed_madd (local.get $aS1) (local.get $x11)
                (f32x4.relaxed_madd (local.get $aS0) (local.get $x01)
                  (v128.load offset=16 (i32.add (local.get $ps) (local.get $off))))))
            (local.set $off (i32.add (local.get $off) (i32.const 32)))
            (br $o2)))
          (local.set $wp (i32.add (local.get $pt) (local.get $row)))
          (local.set $colR (i32.add (local.get $colR) (i32.const 8)))
          (local.set $colS (i32.add (local.get $colS) (i32.const 8)))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $pairs)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $over_l)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $over_k)))
  )

  (func (export "applyTRS")
    (param $w i32) (param $h i32) (param $wd i32) (param $ci i32) (param $co i32)
    (param $inR i32) (param $inS i32) (param $outR i32) (param $outS i32)
    (local $k i32) (local $l i32) (local $i i32) (local $off i32) (local $row i32)
    (local $wp i32) (local $pr i32) (local $ps i32) (local $pt i32) (local $colR i32) (local $colS i32)
    (local $zR0 v128) (local $zS0 v128) (local $zR1 v128) (local $zS1 v128)
    (local $x0 v128) (local $x1 v128) (local $u v128)
    (local.set $row (i32.mul (local.get $co) (i32.const 4)))
    (local.set $wp (local.get $w))
    (local.set $k (i32.const 0))
    (block $k_done (loop $over_k
      (br_if $k_done (i32.ge_u (local.get $k) (local.get $h)))
      (local.set $l (i32.const 0))
      (block $l_done (loop $over_l
        (br_if $l_done (i32.ge_u (local.get $l) (local.get $wd)))
        (local.set $pr (i32.add (local.get $inR) (i32.mul (local.get $k) (local.get $row))))
        (local.set $ps (i32.add (local.get $inS) (i32.mul (local.get $l) (local.get $row))))
        (local.set $colR (i32.add (local.get $outR) (i32.shl (i32.mul (local.get $l) (local.get $ci)) (i32.const 2))))
        (local.set $colS (i32.add (local.get $outS) (i32.shl (i32.mul (local.get $k) (local.get $ci)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $pairs_done (loop $pairs
          (br_if $pairs_done (i32.ge_u (local.get $i) (local.get $ci)))
          (local.set $zR0 (f32x4.splat (f32.const 0))) (local.set $zS0 (f32x4.splat (f32.const 0)))
          (local.set $zR1 (f32x4.splat (f32.const 0))) (local.set $zS1 (f32x4.splat (f32.const 0)))
          (local.set $pt (i32.add (local.get $wp) (local.get $row)))
          (local.set $off (i32.const 0))
          (block $o2_done (loop $o2
            (br_if $o2_done (i32.ge_u (local.get $off) (local.get $row)))
            (local.set $x0 (v128.load (i32.add (local.get $wp) (local.get $off))))
            (local.set $x1 (v128.load (i32.add (local.get $pt) (local.get $off))))
            (local.set $u (v128.load (i32.add (local.get $pr) (local.get $off))))
            (local.set $zR0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zR0)))
            (local.set $zR1 (f32x4.relaxed_madd (local.get $u) (local.get $x1) (local.get $zR1)))
            (local.set $u (v128.load (i32.add (local.get $ps) (local.get $off))))
            (local.set $zS0 (f32x4.relaxed_madd (local.get $u) (local.get $x0) (local.get $zS0)))
            (local.set $zS1 (f32x4.relaxed_madd (local.get $u) (local.get $x1) (local.get $zS1)))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $o2)))
          ;; z_X[col] += the four lanes of the sums, added in lane order (as applyT), inline as there: V8 inlines no
          ;; WebAssembly calls, and with 64-column blocks a call per sum was a large part of a pair's ~50 cycles.
          (f32.store (local.get $colR) (f32.add (f32.load (local.get $colR))
            (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zR0)) (f32x4.extract_lane 1 (local.get $zR0)))
              (f32x4.extract_lane 2 (local.get $zR0))) (f32x4.extract_lane 3 (local.get $zR0)))))
          (f32.store (local.get $colS) (f32.add (f32.load (local.get $colS))
            (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zS0)) (f32x4.extract_lane 1 (local.get $zS0)))
              (f32x4.extract_lane 2 (local.get $zS0))) (f32x4.extract_lane 3 (local.get $zS0)))))
          (f32.store offset=4 (local.get $colR) (f32.add (f32.load offset=4 (local.get $colR))
            (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zR1)) (f32x4.extract_lane 1 (local.get $zR1)))
              (f32x4.extract_lane 2 (local.get $zR1))) (f32x4.extract_lane 3 (local.get $zR1)))))
          (f32.store offset=4 (local.get $colS) (f32.add (f32.load offset=4 (local.get $colS))
            (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $zS1)) (f32x4.extract_lane 1 (local.get $zS1)))
              (f32x4.extract_lane 2 (local.get $zS1))) (f32x4.extract_lane 3 (local.get $zS1)))))
          (local.set $wp (i32.add (local.get $pt) (local.get $row)))
          (local.set $colR (i32.add (local.get $colR) (i32.const 8)))
          (local.set $colS (i32.add (local.get $colS) (i32.const 8)))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $pairs)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $over_l)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $over_k)))
  )

  ;; The kernel at src (np rows of co floats) into c_out blocks at dst, as f4-blocks.ts copyBlocked lays them out:
  ;; block o0 at np o0 floats, its rows min(bw, co - o0) floats. Row by row with memory.copy: the source is read
  ;; once, in order, ~5x faster than the same copy from JavaScript.
  (func (export "blockCopy") (param $src i32) (param $dst i32) (param $np i32) (param $co i32) (param $bw i32)
    (local $p i32) (local $o0 i32) (local $n i32)
    (local.set $p (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $p) (local.get $np)))
      (local.set $o0 (i32.const 0))
      (block $blocks_done (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $o0) (local.get $co)))
        ;; n = min(bw, co - o0)
        (local.set $n (select (local.get $bw) (i32.sub (local.get $co) (local.get $o0))
          (i32.lt_s (local.get $bw) (i32.sub (local.get $co) (local.get $o0)))))
        (memory.copy
          (i32.add
            (local.get $dst)
            (i32.mul
              (i32.add (i32.mul (local.get $np) (local.get $o0)) (i32.mul (local.get $p) (local.get $n)))
              (i32.const 4)))
          (i32.add
            (local.get $src)
            (i32.mul (i32.add (i32.mul (local.get $p) (local.get $co)) (local.get $o0)) (i32.const 4)))
          (i32.mul (local.get $n) (i32.const 4)))
        (local.set $o0 (i32.add (local.get $o0) (local.get $bw)))
        (br $blocks)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $rows)))
  )
)
