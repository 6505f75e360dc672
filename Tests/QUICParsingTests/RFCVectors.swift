// Sample packet protection vectors: RFC 9001 Appendix A (QUIC v1), RFC 9369 Appendix A (QUIC v2), and the
// draft-ietf-quic-tls-23 Appendix A client Initial (version 0xff000017).

func hexBytes(_ s: String) -> [UInt8] {
    let digits = Array(s.utf8).filter { !($0 == 32 || $0 == 10) }
    precondition(digits.count % 2 == 0, "odd hex length")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: preconditionFailure("bad hex digit")
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var i = 0
    while i < digits.count {
        out.append(nibble(digits[i]) << 4 | nibble(digits[i + 1]))
        i += 2
    }
    return out
}

enum RFCVectors {
    static let dcid = hexBytes("8394c8f03e515708")

    /// The ClientHello of RFC 9001 A.2 / RFC 9369 A.2: CRYPTO frame `06 00 40f1` then 241 bytes.
    static let clientHello = hexBytes(
        "010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
            + "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
            + "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
            + "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
            + "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
            + "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
            + "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
            + "75300901100f088394c8f03e51570806048000ffff"
    )

    /// The ServerHello of RFC 9001 A.3 / RFC 9369 A.3: payload `02 00 00 00 00` (ACK) then CRYPTO `06 00 405a`.
    static let serverHello = hexBytes(
        "020000560303eefce7f7b37ba1d1632e96677825ddf739"
            + "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
            + "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
            + "020304"
    )

    static let v1ClientInitial = hexBytes(
        "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
            + "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
            + "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
            + "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
            + "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
            + "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
            + "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
            + "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
            + "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
            + "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
            + "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
            + "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
            + "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
            + "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
            + "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
            + "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
            + "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
            + "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
            + "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
            + "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
            + "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
            + "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
            + "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
            + "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
            + "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
            + "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
            + "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
            + "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
            + "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
            + "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
            + "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
            + "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
            + "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
            + "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
            + "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
            + "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
            + "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
            + "e221af44860018ab0856972e194cd934"
    )

    static let v1ServerInitial = hexBytes(
        "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
            + "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
            + "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
            + "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
            + "2158407dd074ee"
    )

    static let v2ClientInitial = hexBytes(
        "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
            + "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
            + "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
            + "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
            + "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
            + "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
            + "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
            + "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
            + "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
            + "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
            + "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
            + "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
            + "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
            + "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
            + "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
            + "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
            + "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
            + "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
            + "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
            + "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
            + "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
            + "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
            + "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
            + "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
            + "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
            + "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
            + "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
            + "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
            + "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
            + "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
            + "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
            + "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
            + "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
            + "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
            + "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
            + "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
            + "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
            + "a18b2faa745b6fe189cf772a9f84cbfc"
    )

    static let v2ServerInitial = hexBytes(
        "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698"
            + "baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17"
            + "f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2"
            + "c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8"
            + "4bed8521e2e140"
    )

    /// draft-ietf-quic-tls-23 Appendix A.2 client Initial (version 0xff000017, 2-byte ClientHello length 0xc0).
    static let draft23ClientInitial = hexBytes(
        "c0ff000017088394c8f03e5157080000449e3b343aa8535064a4268a0d9d7b1c"
            + "9d250ae355162276e9b1e3011ef6bbc0ab48ad5bcc2681e953857ca62becd752"
            + "4daac473e68d7405fbba4e9ee616c87038bdbe908c06d9605d9ac49030359eec"
            + "b1d05a14e117db8cede2bb09d0dbbfee271cb374d8f10abec82d0f59a1dee29f"
            + "e95638ed8dd41da07487468791b719c55c46968eb3b54680037102a28e53dc1d"
            + "12903db0af5821794b41c4a93357fa59ce69cfe7f6bdfa629eef78616447e1d6"
            + "11c4baf71bf33febcb03137c2c75d25317d3e13b684370f668411c0f00304b50"
            + "1c8fd422bd9b9ad81d643b20da89ca0525d24d2b142041cae0af205092e43008"
            + "0cd8559ea4c5c6e4fa3f66082b7d303e52ce0162baa958532b0bbc2bc785681f"
            + "cf37485dff6595e01e739c8ac9efba31b985d5f656cc092432d781db95221724"
            + "87641c4d3ab8ece01e39bc85b15436614775a98ba8fa12d46f9b35e2a55eb72d"
            + "7f85181a366663387ddc20551807e007673bd7e26bf9b29b5ab10a1ca87cbb7a"
            + "d97e99eb66959c2a9bc3cbde4707ff7720b110fa95354674e395812e47a0ae53"
            + "b464dcb2d1f345df360dc227270c750676f6724eb479f0d2fbb6124429990457"
            + "ac6c9167f40aab739998f38b9eccb24fd47c8410131bf65a52af841275d5b3d1"
            + "880b197df2b5dea3e6de56ebce3ffb6e9277a82082f8d9677a6767089b671ebd"
            + "244c214f0bde95c2beb02cd1172d58bdf39dce56ff68eb35ab39b49b4eac7c81"
            + "5ea60451d6e6ab82119118df02a586844a9ffe162ba006d0669ef57668cab38b"
            + "62f71a2523a084852cd1d079b3658dc2f3e87949b550bab3e177cfc49ed190df"
            + "f0630e43077c30de8f6ae081537f1e83da537da980afa668e7b7fb25301cf741"
            + "524be3c49884b42821f17552fbd1931a813017b6b6590a41ea18b6ba49cd48a4"
            + "40bd9a3346a7623fb4ba34a3ee571e3c731f35a7a3cf25b551a680fa68763507"
            + "b7fde3aaf023c50b9d22da6876ba337eb5e9dd9ec3daf970242b6c5aab3aa4b2"
            + "96ad8b9f6832f686ef70fa938b31b4e5ddd7364442d3ea72e73d668fb0937796"
            + "f462923a81a47e1cee7426ff6d9221269b5a62ec03d6ec94d12606cb485560ba"
            + "b574816009e96504249385bb61a819be04f62c2066214d8360a2022beb316240"
            + "b6c7d78bbe56c13082e0ca272661210abf020bf3b5783f1426436cf9ff418405"
            + "93a5d0638d32fc51c5c65ff291a3a7a52fd6775e623a4439cc08dd25582febc9"
            + "44ef92d8dbd329c91de3e9c9582e41f17f3d186f104ad3f90995116c682a2a14"
            + "a3b4b1f547c335f0be710fc9fc03e0e587b8cda31ce65b969878a4ad4283e6d5"
            + "b0373f43da86e9e0ffe1ae0fddd3516255bd74566f36a38703d5f34249ded1f6"
            + "6b3d9b45b9af2ccfefe984e13376b1b2c6404aa48c8026132343da3f3a33659e"
            + "c1b3e95080540b28b7f3fcd35fa5d843b579a84c089121a60d8c1754915c344e"
            + "eaf45a9bf27dc0c1e78416169122091313eb0e87555abd706626e557fc36a04f"
            + "cd191a58829104d6075c5594f627ca506bf181daec940f4a4f3af0074eee89da"
            + "acde6758312622d4fa675b39f728e062d2bee680d8f41a597c262648bb18bcfc"
            + "13c8b3d97b1a77b2ac3af745d61a34cc4709865bac824a94bb19058015e4e42d"
            + "c9be6c7803567321829dd85853396269"
    )
    /// First bytes of the draft-23 ClientHello: CRYPTO `06 00 40c4`, then `01 0000c0 0303 6660261f…`.
    static let draft23ClientHelloPrefix = hexBytes("010000c003036660261ff947cea49cce6cfad687f457cf1b14531ba1")
}
