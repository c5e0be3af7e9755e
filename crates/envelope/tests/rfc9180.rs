//! RFC 9180, appendix A.2.1: the test vectors of DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! ChaCha20Poly1305 in base mode (the one suite Rekam's envelope uses), run through the hpke
//! crate as the envelope calls it, and through `CentreSecretKey`'s key derivation. The values
//! are copied from the RFC's text.
use std::convert::Infallible;

use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rekam_envelope::{hex, unhex, CentreSecretKey};

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;

fn h(s: &str) -> Vec<u8> {
    unhex(s).expect("hex in the vector")
}

const INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
const IKM_E: &str = "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b";
const PK_EM: &str = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
const SK_EM: &str = "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600";
const IKM_R: &str = "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df";
const PK_RM: &str = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a";
const SK_RM: &str = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb";
const ENC: &str = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
const PT: &str = "4265617574792069732074727574682c20747275746820626561757479";

/// (sequence number, aad, ct)
const ENCRYPTIONS: &[(u32, &str, &str)] = &[
    (0, "436f756e742d30", "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28"),
    (1, "436f756e742d31", "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c"),
    (2, "436f756e742d32", "71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b"),
    (4, "436f756e742d34", "63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122bb153495ff0b02e9e54a50dbe16"),
    (255, "436f756e742d323535", "18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b8880a5f6b3936da9cd6c23ef2a95c"),
    (256, "436f756e742d323536", "7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076214c0c40d4c728d6ed9e727a5b"),
];

/// (exporter_context, exported value), L = 32.
const EXPORTS: &[(&str, &str)] = &[
    (
        "",
        "4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e",
    ),
    (
        "00",
        "8c1df14732580e5501b00f82b10a1647b40713191b7c1240ac80e2b68808ba69",
    ),
    (
        "54657374436f6e74657874",
        "5acb09211139c43b3090489a9da433e8a30ee7188ba8b0a9a1ccf0c229283e53",
    ),
];

/// Hands out the given bytes: the ephemeral key's input keying material.
struct FixedRng(Vec<u8>);

impl hpke::rand_core::TryRng for FixedRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!("the KEM asks for bytes")
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!("the KEM asks for bytes")
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert!(dst.len() <= self.0.len(), "asked for more bytes than ikmE");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl hpke::rand_core::TryCryptoRng for FixedRng {}

/// X25519's clamping (RFC 7748): hpke 0.15 serialises private keys clamped, an equivalent key
/// to the RFC's unclamped `skRm` / `skEm`.
fn clamped(hex_key: &str) -> String {
    let mut k = h(hex_key);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    hex(&k)
}

#[test]
fn key_derivation_matches_the_rfc() {
    let r = CentreSecretKey::derive(&h(IKM_R));
    assert_eq!(hex(&r.to_bytes()), clamped(SK_RM));
    assert_eq!(r.public_key().to_hex(), PK_RM);
    let e = CentreSecretKey::derive(&h(IKM_E));
    assert_eq!(hex(&e.to_bytes()), clamped(SK_EM));
    assert_eq!(e.public_key().to_hex(), PK_EM);
    // And from the serialised private key.
    let sk: [u8; 32] = h(SK_RM).try_into().expect("32 bytes");
    assert_eq!(
        CentreSecretKey::from_bytes(&sk)
            .expect("key")
            .public_key()
            .to_hex(),
        PK_RM
    );
}

#[test]
fn sender_reproduces_enc_ciphertexts_and_exports() {
    let pk_r = <Kem as hpke::Kem>::PublicKey::from_bytes(&h(PK_RM)).expect("pkR");
    let (enc, mut ctx) = hpke::setup_sender_with_rng::<Aead, Kdf, Kem>(
        &OpModeS::Base,
        &pk_r,
        &h(INFO),
        &mut FixedRng(h(IKM_E)),
    )
    .expect("setup");
    assert_eq!(hex(&enc.to_bytes()), ENC);
    let mut seq = 0u32;
    for &(want_seq, aad, ct) in ENCRYPTIONS {
        // Seal (and throw away) the messages the RFC skips, to reach its sequence number.
        while seq < want_seq {
            ctx.seal(&h(PT), b"skipped").expect("seal");
            seq += 1;
        }
        let got = ctx.seal(&h(PT), &h(aad)).expect("seal");
        assert_eq!(hex(&got), ct, "sequence number {want_seq}");
        seq += 1;
    }
    for &(context, value) in EXPORTS {
        let mut out = [0u8; 32];
        ctx.export(&h(context), &mut out).expect("export");
        assert_eq!(hex(&out), value);
    }
}

#[test]
fn receiver_opens_the_rfc_ciphertexts() {
    let sk: [u8; 32] = h(SK_RM).try_into().expect("32 bytes");
    let sk_r = <Kem as hpke::Kem>::PrivateKey::from_bytes(&sk).expect("skR");
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&h(ENC)).expect("enc");
    let mut ctx = hpke::setup_receiver::<Aead, Kdf, Kem>(&OpModeR::Base, &sk_r, &enc, &h(INFO))
        .expect("setup");
    for &(context, value) in EXPORTS {
        let mut out = [0u8; 32];
        ctx.export(&h(context), &mut out).expect("export");
        assert_eq!(hex(&out), value);
    }
    // The first three are consecutive: open them in order.
    for &(_, aad, ct) in &ENCRYPTIONS[..3] {
        assert_eq!(hex(&ctx.open(&h(ct), &h(aad)).expect("open")), PT);
    }
    // A changed byte, or the wrong aad, does not open (the context does not advance on failure).
    let (_, aad, ct) = ENCRYPTIONS[3];
    let mut bad = h(ct);
    bad[0] ^= 1;
    assert!(ctx.open(&bad, &h(aad)).is_err());
}
