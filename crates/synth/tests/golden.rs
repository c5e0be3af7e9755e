//! Golden hashes of every synthetic generator: the quality models are fitted on their output,
//! so a change to any byte they produce must be deliberate (update the hash and refit).

use rekam_synth::eye::{self, EyeCondition, EyeModel, Side};
use rekam_synth::face::{self, Lighting, Portrait, Subjects};
use rekam_synth::finger::{self, Condition, MasterPrint};
use rekam_synth::signature::{self, SignatureSpec, Style};
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check(got: Vec<(String, String)>, want: &[(&str, &str)]) {
    let got_text: String = got
        .iter()
        .map(|(n, h)| format!("        (\"{n}\", \"{h}\"),\n"))
        .collect();
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(n, h)| (n.to_string(), h.to_string()))
        .collect();
    assert_eq!(
        got, want,
        "the generator's output changed; now:\n{got_text}"
    );
}

#[test]
fn finger_impressions() {
    let mut got = Vec::new();
    for (person, code) in [(1u64, 2u8), (7, 6)] {
        let master = MasterPrint::new(person, code);
        for c in Condition::ALL {
            let img = finger::impression(&master, 3, c, 256, 288);
            got.push((format!("p{person}f{code}/{}", c.name()), hex(img.as_raw())));
        }
    }
    check(
        got,
        &[
            (
                "p1f2/good",
                "5439a1b2c9aa750c054d4e0af2098f3bc0e00b8c1618c9eaa8356e27940f1b04",
            ),
            (
                "p1f2/dry",
                "b8e9a3683d3d79e53042da9d30961298ca07453599bec1dd5edfb126e38dc6bb",
            ),
            (
                "p1f2/wet",
                "f0de46fb8f31db74ea1ce4d150e06a5709d86554129de70c080b88e02751953d",
            ),
            (
                "p1f2/smudged",
                "d6b9a413c7c40723bc53950245754977cd0554bb21d023bb79e637bf8e24f4bd",
            ),
            (
                "p1f2/partial",
                "93bbfe498431c597d9283a679e8e74d2cbfd89e919ab72d9cb50ffaafa5f449a",
            ),
            (
                "p1f2/low_contrast",
                "424876d42bd8baef9462ac7f993d6d1b501e5798f47612b25c4820b8e9458095",
            ),
            (
                "p1f2/blank",
                "e966f34b8729613ffe7de99093694f4580058b831a637490155f0816cfda8fbd",
            ),
            (
                "p7f6/good",
                "cfb60452354b93cbb6d3718eaa420e2c3520adaaff870582a21e5ed6a3a838cd",
            ),
            (
                "p7f6/dry",
                "89345729175808eacd401b5a4849ce7869c98a138cf9ec507ac4d4b2c2501483",
            ),
            (
                "p7f6/wet",
                "cc551fd430279fa04d01f612c4b0ce31c32b31f40b4954b92e1e7a4837eaae5c",
            ),
            (
                "p7f6/smudged",
                "720075aff8cc07770ff013504e71ff745cd9d67cf9eb01615e9b063ec331fea0",
            ),
            (
                "p7f6/partial",
                "4a5261ece6cd738a090252cc8ddec22404c62fa40008b28fb6780ccc19e48062",
            ),
            (
                "p7f6/low_contrast",
                "dd208b8e6358545c93eb22883613674a7c6337ef0845c7375a97a81994bdfc61",
            ),
            (
                "p7f6/blank",
                "42be35528275bb46182d56b8a57003ad030a14142d17d80901f9864a170e2b4e",
            ),
        ],
    );
}

#[test]
fn eyes() {
    let mut got = Vec::new();
    for (person, side) in [(1u64, Side::Left), (9, Side::Right)] {
        let model = EyeModel::new(person, side);
        for c in EyeCondition::ALL {
            let (img, _) = eye::render(&model, 5, c, 640, 480);
            got.push((format!("p{person}{side:?}/{c:?}"), hex(img.as_raw())));
        }
    }
    check(
        got,
        &[
            (
                "p1Left/Good",
                "63507853e51d92469440f0e227a0fcfacb946340a59f370142830d091b174d1f",
            ),
            (
                "p1Left/FocusBlur",
                "86062418aba77fa2250e75c9b1b36bbb36ad20432f8f26f31fd9c4ac043672f4",
            ),
            (
                "p1Left/OffAxis",
                "b8e418bf61208d91cefde90e8072fa76dcdaac3bd8118c911af4a1f8ba0729fd",
            ),
            (
                "p1Left/Occluded",
                "dc825f0bb11f2fe54a495a008bcbfdf541a1c7cfc752669443712b30e05c6d45",
            ),
            (
                "p1Left/Closed",
                "11a52ab59d7030f20c793145fb1477d5855b721ab48a0a7dde049f364b14aa34",
            ),
            (
                "p1Left/TooFar",
                "5cea70fdf7715c7d33833b6eff0c70677513fdb27f6c9601f6468cf48b421c52",
            ),
            (
                "p1Left/TooDark",
                "910bcb00a762eeac87b4a548ac08ccafda4403336dadb7af79615c7135401475",
            ),
            (
                "p1Left/MotionBlur",
                "d8b23e617bb74614456d6a987a8a1f6de4b91000c32a5bda727c19af4e8e0200",
            ),
            (
                "p9Right/Good",
                "7f78f3d0627e5e35f43b54c4bd7bd5d39b175fd1f337a207100f5fc9d4a4a884",
            ),
            (
                "p9Right/FocusBlur",
                "2f3bccb55aad107b3abd2a59c76c99a48ec978efdf6cfdec58904ea767c96b14",
            ),
            (
                "p9Right/OffAxis",
                "f826201d59f51b96f7b319f4a98cca5ff9199e2d2ee834e69c62cc094e633853",
            ),
            (
                "p9Right/Occluded",
                "88d9e2237aaa302f4800218593bad5f16ba2acac37ead9303ef190d46b3897e4",
            ),
            (
                "p9Right/Closed",
                "6b4790769f15844e1be6592665ca61f02cd2f66f277179f39134ce6379cd40a7",
            ),
            (
                "p9Right/TooFar",
                "2a4b1486850529112a412c2b4e1d0285ae421c5d9cf72430c4e5e1e3d519cd5f",
            ),
            (
                "p9Right/TooDark",
                "a4e777413e8fc838cee748d0ad88a3d26881130f9f85ad786af135c9906e16c5",
            ),
            (
                "p9Right/MotionBlur",
                "d314158decdc24d6403307fc4381a1281bd2bb70a190bedd81b951f8188da1e2",
            ),
        ],
    );
}

#[test]
fn faces() {
    let base = Portrait::default();
    let scenes = [
        ("default", base.clone()),
        (
            "person4_1991",
            Portrait {
                person: 4,
                birth_year: 1991,
                ..base.clone()
            },
        ),
        (
            "dark",
            Portrait {
                lighting: Lighting::Dark,
                ..base.clone()
            },
        ),
        (
            "overexposed",
            Portrait {
                lighting: Lighting::Overexposed,
                ..base.clone()
            },
        ),
        (
            "shadow_left",
            Portrait {
                lighting: Lighting::ShadowLeft,
                ..base.clone()
            },
        ),
        (
            "shadow_right",
            Portrait {
                lighting: Lighting::ShadowRight,
                ..base.clone()
            },
        ),
        (
            "nobody",
            Portrait {
                subjects: Subjects::Nobody,
                ..base.clone()
            },
        ),
        (
            "two",
            Portrait {
                subjects: Subjects::Two,
                ..base.clone()
            },
        ),
        (
            "eyes_closed",
            Portrait {
                eyes_closed: true,
                ..base.clone()
            },
        ),
        (
            "blur",
            Portrait {
                blur: 4.0,
                ..base.clone()
            },
        ),
        (
            "turned",
            Portrait {
                yaw_deg: 25.0,
                pitch_deg: -10.0,
                roll_deg: 8.0,
                ..base.clone()
            },
        ),
        (
            "off_centre_far",
            Portrait {
                offset: (0.15, 0.05),
                distance: 1.25,
                ..base.clone()
            },
        ),
    ];
    let mut got = Vec::new();
    for (name, p) in scenes {
        got.push((name.to_string(), hex(face::render(&p, 640, 360).as_raw())));
    }
    got.push((
        "portrait_480x640".into(),
        hex(face::render(&base, 480, 640).as_raw()),
    ));
    check(
        got,
        &[
            (
                "default",
                "f2c6d59ccaca7720e2904bc5c69aeb72b55402eef3e3f7627038aa0f7ed104e2",
            ),
            (
                "person4_1991",
                "e33e36fa3f7d7435f2eae257855c2a8c78f57d0077621fa83bbdc0a1e08131e3",
            ),
            (
                "dark",
                "e09653834b17244b912eef27700d13a71ddb435fd63bb8d614d786bf52e711bd",
            ),
            (
                "overexposed",
                "af877f4f707d2036fdf94181c7f7fd1f4708f9126bd339b6a226976f70756fd3",
            ),
            (
                "shadow_left",
                "4ca70fbdfd4f3d5ce210a60c4092e262fff999bd377cd343e3a9bc28b24fbd71",
            ),
            (
                "shadow_right",
                "917ec43a171babcf159420f89c6fcfebfc8c3f9662ad3e36e6fc1715066d4f6a",
            ),
            (
                "nobody",
                "d3b3fb683bc1bdc59bea53e25843f58295867303562e7f276382632db2a78245",
            ),
            (
                "two",
                "3bd6c644f2fa751f6fc5a04f9e33ed422ec7e654e665e7376ab4b8984f0596ae",
            ),
            (
                "eyes_closed",
                "dd8db229372d75489f46092e6c46423084a5b3cacbde1fc9bb5706a362aeb7f4",
            ),
            (
                "blur",
                "193aae879842e9bee0eb666855544402088d03383b92682f90bec0c0205a70d4",
            ),
            (
                "turned",
                "75e00486255097b04435c2758d3e14d35b81ac6fc03e34e6809ecff8b4cdc1d7",
            ),
            (
                "off_centre_far",
                "66935de7aa26d4a0d30b15a9a27212ed1cc3c7aa28c4ce8fc12a0efcb8dcca2c",
            ),
            (
                "portrait_480x640",
                "66ee37eead4636fe661408f13e58388146bebf7cb30728e383ff3ae6678f87fb",
            ),
        ],
    );
}

#[test]
fn signatures() {
    let mut got = Vec::new();
    for style in [
        Style::Normal,
        Style::Dot,
        Style::StraightLine,
        Style::TooSmall,
        Style::TooFast,
    ] {
        for (person, attempt) in [(1u64, 1u64), (5, 2)] {
            let spec = SignatureSpec {
                max_x: 15_200,
                max_y: 9_500,
                max_pressure: 1023,
                rate_hz: 133,
                style,
            };
            let mut bytes = Vec::new();
            for r in signature::generate(person, attempt, &spec) {
                bytes.extend_from_slice(&r.t_ms.to_le_bytes());
                bytes.extend_from_slice(&r.x.to_le_bytes());
                bytes.extend_from_slice(&r.y.to_le_bytes());
                bytes.extend_from_slice(&r.pressure.to_le_bytes());
                bytes.push(u8::from(r.in_proximity));
                bytes.push(u8::from(r.tip));
            }
            got.push((format!("p{person}a{attempt}/{style:?}"), hex(&bytes)));
        }
    }
    check(
        got,
        &[
            (
                "p1a1/Normal",
                "f72cd854b3af6813e286cd61146d8e8240d1461cca4bf793536f0f3d4af016e4",
            ),
            (
                "p5a2/Normal",
                "c3c3c24a2581faa585bccec6150208970d2f1f74aeab725076012a06c92f6187",
            ),
            (
                "p1a1/Dot",
                "e0076bb22079f4e077eb512d27a6d214f829ec6259078ece1ddfdfa6ac69e766",
            ),
            (
                "p5a2/Dot",
                "66ab0d032dd7519187205c3779ee5aa2974ea8e83ae439426cc064156f62fa57",
            ),
            (
                "p1a1/StraightLine",
                "964a2a73488ff8b2f3a99ca4b23df774f879f7b3ea6ea16dcc7d54825b8a8c92",
            ),
            (
                "p5a2/StraightLine",
                "dd63421d0d573b124adb19ff2dbe67e3a89970e3d9a187017de705b0802928ba",
            ),
            (
                "p1a1/TooSmall",
                "f9d6970c67293b480264909135f6ebe59984aeca8da56aaf5e01286c08b047fd",
            ),
            (
                "p5a2/TooSmall",
                "45ae1e53ddf424c3e7fa800f26925c9bd8bc7ced2a62e9a765624055fdef1b19",
            ),
            (
                "p1a1/TooFast",
                "580a6fbe573bcb005ece9c1be2d51240f076ed97de239a638ce0a45af7d704ba",
            ),
            (
                "p5a2/TooFast",
                "8a3ef7d9f2b641b954ddd34b8d0cfa8abf6f881ed6cbb31ec542c6662d581eaa",
            ),
        ],
    );
}
