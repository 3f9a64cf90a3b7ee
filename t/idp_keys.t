#!/usr/bin/perl
# Key sets as identity providers publish them (SPEC "Keys"; RFC 7517
# section 5): every published document in t/fixtures/jwks loads with
# nginx -t, the keys that cannot verify tickets skipped with a warn naming
# the file, kid and reason; a file with no usable key, a (kid, alg) twice
# in a scope and a bad alg= still fail.  Then, with nginx running: alg
# inferred from the key (EC, Ed25519, RSA, alg= pinning PS256), one kid
# published with two algs verifying each alg's tickets and no other,
# tenant= binding every key of a file, and RFC 9864's Ed25519 as a name
# of EdDSA in a JWK, in ticket_key and in a ticket's header.  Tickets are
# signed by the openssl command (t/lib/IdpToken.pm).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use IdpToken qw(idp_token jwks_without_alg jwks_merge read_json);

my $fixtures = "$FindBin::Bin/fixtures/jwks";

# file => [ [kid, reason]... skipped ]
my %published = (
    'keycloak.json' => [ [ 'EWGWeiW8jqUC_T7Fawi5ecRbrDOanB_uqtTgAOgJDPk',
                           '"use" is "enc", not "sig"' ] ],
    'entra.json'    => [],
    'okta.json'     => [],
    'auth0.json'    => [],
    'cognito.json'  => [],
    'google.json'   => [],
    'paypal.json'   => [ [ '753778214125442a472d4b6150645367',
                           '"crv" "X25519" is for key agreement' ] ],
    'rfc7517-a1.json' => [ [ '1', '"use" is "enc", not "sig"' ] ],
    'rfc7520-s3.json' => [],
);

my @files = sort keys %published;

# per file: nginx -t ok, each skip warned, nothing else warned = 3;
# failures: 6 x 2; running: 19; done: 1
plan(tests => 3 * @files + 12 + 19 + 1);

my $t = TicketTest->new;
my $dir = $t->dir;

sub conf_with {
    my ($directives) = @_;
    return <<"EOF";
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            $directives
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }
EOF
}

for my $f (@files) {
    my ($rc, $out) = $t->nginx_test(conf_with("ticket_keys $fixtures/$f;"));
    is($rc, 0, "$f: nginx -t accepts the published key set")
        or diag($out);
    my @want = @{$published{$f}};
    my $all = 1;
    for my $s (@want) {
        my ($kid, $why) = @$s;
        $all &&= ($out =~ /\[warn\] .*ticket_keys "\Q$fixtures\/$f\E": key "\Q$kid\E": skipped: \Q$why\E/);
    }
    ok($all, "$f: " . (@want ? 'each skipped key warned with kid and reason'
                              : 'no key skipped'))
        or diag($out);
    my @warns = ($out =~ /\[warn\][^\n]*skipped/g);
    is(scalar @warns, scalar @want, "$f: no other key skipped")
        or diag($out);
}

# ---- what still fails ------------------------------------------------------

my $enc_only = read_json("$fixtures/keycloak.json");
$enc_only->{keys} = [ $enc_only->{keys}[0] ];
jwks_merge("$dir/enc_only.json", $enc_only->{keys});

my $kr = $t->keygen('RS256', 'r1');
my $ke = $t->keygen('ES256', 'e1');
my $kd = $t->keygen('EdDSA', 'd1');
my $ke2 = $t->keygen('ES256', 'dual-ec');
my $kr2 = $t->keygen('RS256', 'dual-rsa');

jwks_merge("$dir/dup.json", jwks_without_alg($kr->{jwks}),
           jwks_without_alg($kr->{jwks}));
jwks_merge("$dir/oct_noalg.json",
           [ { kty => 'oct', kid => 'sym', k => 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI' } ]);

for my $case (
    [ 'only an encryption key', "ticket_keys $dir/enc_only.json;",
      qr/\[emerg\] \S+ invalid JWKS "[^"]*enc_only.json": no key can verify tickets \(1 skipped\)/ ],
    [ 'an oct key without alg only', "ticket_keys $dir/oct_noalg.json;",
      qr/key "sym": skipped: an "oct" key without "alg".*\n.*no key can verify tickets/ ],
    [ 'a (kid, alg) twice in a file', "ticket_keys $dir/dup.json;",
      qr/duplicate kid "r1" for alg RS256/ ],
    [ 'a (kid, alg) twice in a scope',
      "ticket_keys $fixtures/okta.json; ticket_keys $fixtures/okta.json;",
      qr/duplicate kid "f4-dpAc7AqynmGcjjS9LLPCBEW2ezVfIbAqTHPyKe_Y" for alg RS256/ ],
    [ 'alg= not an RSA alg', "ticket_keys $fixtures/entra.json alg=HS256;",
      qr/invalid parameter "alg=HS256": an RS or PS algorithm expected/ ],
    [ 'an unknown parameter', "ticket_keys $fixtures/entra.json use=sig;",
      qr/invalid parameter "use=sig"/ ],
) {
    my ($name, $d, $re) = @$case;
    my ($rc, $out) = $t->nginx_test(conf_with($d));
    isnt($rc, 0, "fails: $name");
    like($out, $re, "fails: $name: the message says why") or diag($out);
}

# ---- running: inference, two algs under one kid, tenant=, Ed25519 ---------

# alg-less as Entra ID, PayPal and the RFC 7520 examples publish them
jwks_merge("$dir/inferred.json", jwks_without_alg($kr->{jwks}),
           jwks_without_alg($ke->{jwks}), jwks_without_alg($kd->{jwks}));

# PS256 pinned by alg= for the same RSA key under another kid
my $ps = jwks_without_alg($kr->{jwks});
$ps->[0]{kid} = 'r1-ps';
jwks_merge("$dir/pinned.json", $ps);

# one kid, an EC and an RSA key (RFC 7520's examples share theirs)
my $dual_ec = jwks_without_alg($ke2->{jwks});
my $dual_rsa = jwks_without_alg($kr2->{jwks});
$_->{kid} = 'dual' for @$dual_ec, @$dual_rsa;
jwks_merge("$dir/dual.json", $dual_ec, $dual_rsa);

# "Ed25519" as the alg of a JWK
my $ed = read_json($kd->{jwks})->{keys};
$ed->[0]{alg} = 'Ed25519';
$ed->[0]{kid} = 'd1-rfc9864';
jwks_merge("$dir/ed25519.json", $ed);

$t->start(<<"EOF");
    log_format t '\$status \$ticket_reason \$ticket_kid \$ticket_alg \$ticket_tenant';

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/t.log t;
        add_header X-Reason \$ticket_reason always;
        add_header X-Alg \$ticket_alg always;

        location /inferred/ {
            ticket user;
            ticket_keys $dir/inferred.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /pinned/ {
            ticket user;
            ticket_keys $dir/pinned.json alg=PS256;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /dual/ {
            ticket user;
            ticket_keys $dir/dual.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /tenant/ {
            ticket user;
            ticket_keys $dir/inferred.json tenant=acme;
            add_header X-Tenant \$ticket_tenant always;
            add_header X-Reason \$ticket_reason always;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /ed/ {
            ticket user;
            ticket_keys $dir/ed25519.json;
            ticket_key d1-pem Ed25519 $kd->{pub};
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\n";
        }
    }
EOF

my $now = time;

sub tok {
    my ($alg, $kid, $key, %extra) = @_;
    my $hdr = qq({"alg":"$alg","kid":"$kid","typ":"JWT"});
    my $claims = qq({"sub":"u1","kind":"user","jti":"j-$kid-$alg-)
               . int(rand(1e9)) . qq(","iat":$now,"exp":) . ($now + 600)
               . (defined $extra{tenant} ? qq(,"tenant":"$extra{tenant}") : '')
               . '}';
    return idp_token($hdr, $claims, $key, $alg);
}

sub req {
    my ($uri, $tk) = @_;
    return $t->get($uri, ticket => $tk);
}

{
    my $r = req('/inferred/', tok('RS256', 'r1', $kr->{key}));
    is($r->{status}, 200, 'inferred: RSA without alg is RS256');
    $r = req('/inferred/', tok('ES256', 'e1', $ke->{key}));
    is($r->{status}, 200, 'inferred: EC P-256 without alg is ES256');
    $r = req('/inferred/', tok('EdDSA', 'd1', $kd->{key}));
    is($r->{status}, 200, 'inferred: OKP Ed25519 without alg is EdDSA');

    # an RSA key without alg is RS256, never PS256 or HS256
    $r = req('/inferred/', tok('PS256', 'r1', $kr->{key}));
    is($r->{headers}{'x-reason'}, 'alg_mismatch',
       'inferred: a PS256 ticket for the RS256 key is alg_mismatch');
    my $hs = TicketTest::hs_token(qq({"alg":"HS256","kid":"r1"}),
        qq({"sub":"u","kind":"user","jti":"x","iat":$now,"exp":)
        . ($now + 60) . '}', 'k' x 40);
    $r = req('/inferred/', $hs);
    is($r->{headers}{'x-reason'}, 'alg_mismatch',
       'inferred: an HS256 ticket naming the RSA key is alg_mismatch');
}

{
    my $r = req('/pinned/', tok('PS256', 'r1-ps', $kr->{key}));
    is($r->{status}, 200, 'alg=PS256: the alg-less RSA key verifies PS256');
    is($r->{headers}{'x-alg'}, 'PS256', 'alg=PS256: $ticket_alg PS256');
    $r = req('/pinned/', tok('RS256', 'r1-ps', $kr->{key}));
    is($r->{headers}{'x-reason'}, 'alg_mismatch',
       'alg=PS256: an RS256 ticket is alg_mismatch');
}

{
    my $r = req('/dual/', tok('ES256', 'dual', $ke2->{key}));
    is($r->{status}, 200, 'one kid, two algs: the ES256 ticket verifies');
    $r = req('/dual/', tok('RS256', 'dual', $kr2->{key}));
    is($r->{status}, 200, 'one kid, two algs: the RS256 ticket verifies');

    # each alg only with its own key: a ticket signed by the other key
    $r = req('/dual/', tok('RS256', 'dual', $kr->{key}));
    is($r->{headers}{'x-reason'}, 'bad_signature',
       'one kid, two algs: another RSA key is bad_signature');
    $r = req('/dual/', tok('PS256', 'dual', $kr2->{key}));
    is($r->{headers}{'x-reason'}, 'alg_mismatch',
       'one kid, two algs: a third alg is alg_mismatch');
}

{
    my $r = req('/tenant/', tok('ES256', 'e1', $ke->{key}, tenant => 'acme'));
    is($r->{status}, 200, 'tenant=: a ticket of that tenant verifies');
    is($r->{headers}{'x-tenant'}, 'acme', 'tenant=: $ticket_tenant');
    $r = req('/tenant/', tok('ES256', 'e1', $ke->{key}, tenant => 'other'));
    is($r->{headers}{'x-reason'}, 'tenant_mismatch',
       'tenant=: another tenant is tenant_mismatch');
    $r = req('/tenant/', tok('ES256', 'e1', $ke->{key}));
    is($r->{headers}{'x-reason'}, 'tenant_mismatch',
       'tenant=: a ticket without tenant is tenant_mismatch');
}

{
    my $r = req('/ed/', tok('Ed25519', 'd1-rfc9864', $kd->{key}));
    is($r->{status}, 200, 'Ed25519: a JWK of alg Ed25519, a ticket of alg '
       . 'Ed25519');
    $r = req('/ed/', tok('EdDSA', 'd1-rfc9864', $kd->{key}));
    is($r->{status}, 200, 'Ed25519: the same key, a ticket of alg EdDSA');
    $r = req('/ed/', tok('Ed25519', 'd1-pem', $kd->{key}));
    is($r->{status}, 200, 'Ed25519: ticket_key KID Ed25519 FILE');
}

$t->done;
