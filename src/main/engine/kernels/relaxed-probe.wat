;; One relaxed SIMD instruction (f32x4.relaxed_madd) on memory: this module validates only where the WebAssembly
;; engine has relaxed SIMD (V8 11.4+, i.e. Electron 25+; Node 20 only with --experimental-wasm-relaxed-simd).
;; kernels/index.ts validates it to choose between the fused and the plain variants of the other kernels.
(module
  (memory 1)
  (func (param $p i32)
    (v128.store (local.get $p)
      (f32x4.relaxed_madd
        (v128.load (local.get $p)) (v128.load offset=16 (local.get $p)) (v128.load offset=32 (local.get $p))))))
