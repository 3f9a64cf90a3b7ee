#!/usr/bin/perl

# ticketctl keygen, mint, inspect: files and modes, a round trip for every
# alg, signatures checked independently, time and binding failures, usage
# errors and help.  Perl core modules only; no nginx, no Redis.
#
#   TICKET_BUILD=build prove t/ticketctl.t
#
# The binary is $TICKETCTL, else $TICKET_BUILD/ticketctl (default: build
# under the repository root).  A missing binary fails, never skips.

use strict;
use warnings;

use Test::More;
use File::Temp qw(tempdir);
use File::Spec;
use Cwd qw(abs_path);
use MIME::Base64 qw(encode_base64 decode_base64);
use Digest::SHA qw(hmac_sha256 hmac_sha384 hmac_sha512);
use JSON::PP;

my $root = abs_path(File::Spec->catdir(__FILE__, '..', '..'));
my $build = $ENV{TICKET_BUILD} // "$root/build";
$build = "$root/$build" unless $build =~ m{^/};
my $ctl = $ENV{TICKETCTL} // "$build/ticketctl";

my @ALGS = qw(HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512
              PS256 PS384 PS512 EdDSA);

my $dir = tempdir('ticketctl-t-XXXXXX', TMPDIR => 1,
                  CLEANUP => !$ENV{TICKET_KEEP});
my $json = JSON::PP->new->canonical;

plan(tests => 261);

ok(-x $ctl, "ticketctl built: $ctl")
    or BAIL_OUT("no ticketctl at $ctl: build it (make ticketctl)");


# ---- helpers -------------------------------------------------------------

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return undef;
    binmode $fh;
    local $/;
    my $c = <$fh>;
    close $fh;
    return $c;
}

sub spew {
    my ($path, $content) = @_;
    open my $fh, '>', $path or die "open $path: $!\n";
    binmode $fh;
    print $fh $content;
    close $fh;
}

# run ticketctl: (exit status, stdout, stderr); opts: stdin, umask
sub ctl {
    my $opt = ref $_[0] eq 'HASH' ? shift : {};
    my @args = @_;
    my ($in, $out, $err) = map { "$dir/cmd.$_" } qw(in out err);
    spew($in, $opt->{stdin} // '');
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        umask $opt->{umask} if defined $opt->{umask};
        open STDIN, '<', $in;
        open STDOUT, '>', $out;
        open STDERR, '>', $err;
        exec $ctl, @args or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    return ($rc, slurp($out) // '', slurp($err) // '');
}

sub b64url {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+\z//;
    return $s;
}

sub b64url_decode {
    my $s = $_[0];
    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return decode_base64($s);
}

sub mode_of { return (stat $_[0])[2] & 07777 }

sub one_line { return $_[0] =~ /\Aticketctl: [^\n]+\n\z/ }

my %keys;

sub keygen {
    my ($alg, $kid, @more) = @_;
    my ($rc, $o, $e) = ctl('keygen', '--alg', $alg, '--kid', $kid,
                           '--out', "$dir/keys", @more);
    die "keygen $alg $kid: $rc $e" if $rc != 0;
    return $keys{$kid} = { key => "$dir/keys/$kid.key",
                           pub => "$dir/keys/$kid.pub",
                           jwks => "$dir/keys/$kid.jwks" };
}

sub mint {
    my @args = @_;
    my ($rc, $o, $e) = ctl('mint', @args);
    die "mint @args: $rc $e" if $rc != 0;
    $o =~ s/\n\z//;
    return $o;
}

sub parts {
    my ($t) = @_;
    my ($h, $c, $s) = split /\./, $t, -1;
    return (decode_json(b64url_decode($h)), decode_json(b64url_decode($c)),
            b64url_decode($s), b64url_decode($h));
}

sub secret_of {
    my $s = slurp($_[0]);
    $s =~ s/[\r\n]+\z//;
    return $s;
}


# ---- keygen: files, modes, JWKS ------------------------------------------

my %field = (ES256 => 32, ES384 => 48, ES512 => 66);
my %crv = (ES256 => 'P-256', ES384 => 'P-384', ES512 => 'P-521');

# umask 0: the modes are ticketctl's, not the umask's
{
    my ($rc, $o, $e) = ctl({ umask => 0 }, 'keygen', '--alg', 'ES256',
                           '--kid', 'kES256', '--tenant', 'acme',
                           '--out', "$dir/keys");
    is($rc, 0, 'keygen ES256 with umask 0');
    $keys{kES256} = { key => "$dir/keys/kES256.key",
                      pub => "$dir/keys/kES256.pub",
                      jwks => "$dir/keys/kES256.jwks" };
    is(mode_of("$dir/keys"), 0700, 'keygen made the directory 0700');
    like($o, qr{^wrote \Q$dir\E/keys/kES256\.key}m,
         'keygen says what it wrote');
}

for my $alg (@ALGS) {
    next if $alg eq 'ES256';
    my $kid = "k$alg";
    my @t = $alg eq 'HS256' ? ('--tenant', 'acme') : ();
    my ($rc, $o, $e) = ctl({ umask => 077 }, 'keygen', '--alg', $alg,
                           '--kid', $kid, '--out', "$dir/keys", @t);
    is($rc, 0, "keygen $alg") or diag($e);
    $keys{$kid} = { key => "$dir/keys/$kid.key", pub => "$dir/keys/$kid.pub",
                    jwks => "$dir/keys/$kid.jwks" };
}

for my $alg (@ALGS) {
    my $k = $keys{"k$alg"};
    my $hs = $alg =~ /^HS/;

    is(mode_of($k->{key}), 0600, "$alg .key is 0600");
    is(mode_of($k->{jwks}), $hs ? 0600 : 0644,
       "$alg .jwks is " . ($hs ? '0600 (secret)' : '0644'));

    my $jwks = eval { decode_json(slurp($k->{jwks})) };
    my $jwk = $jwks && ref $jwks->{keys} eq 'ARRAY' && @{$jwks->{keys}} == 1
              ? $jwks->{keys}[0] : {};
    is(join(',', map { $jwk->{$_} // '-' } qw(kid alg use)),
       "k$alg,$alg,sig", "$alg JWKS: one key, kid, alg, use");

    if ($hs) {
        ok(!-e $k->{pub}, "$alg: no .pub");
        my $key = slurp($k->{key});
        like($key, qr/\A[A-Za-z0-9_-]{86}\n\z/,
             "$alg .key: 86 base64url characters and a newline");
        is($jwk->{kty} . ' ' . b64url_decode($jwk->{k} // ''),
           'oct ' . secret_of($k->{key}), "$alg JWK k is the secret text");

    } elsif ($alg =~ /^ES/) {
        is(mode_of($k->{pub}), 0644, "$alg .pub is 0644");
        is(join(' ', $jwk->{kty}, $jwk->{crv},
                length(b64url_decode($jwk->{x})),
                length(b64url_decode($jwk->{y}))),
           "EC $crv{$alg} $field{$alg} $field{$alg}", "$alg JWK crv, x, y");

    } elsif ($alg eq 'EdDSA') {
        is(mode_of($k->{pub}), 0644, "$alg .pub is 0644");
        is(join(' ', $jwk->{kty}, $jwk->{crv},
                length(b64url_decode($jwk->{x}))),
           'OKP Ed25519 32', "$alg JWK crv, x");

    } else {
        is(mode_of($k->{pub}), 0644, "$alg .pub is 0644");
        is(join(' ', $jwk->{kty}, length(b64url_decode($jwk->{n})),
                $jwk->{e}),
           'RSA 384 AQAB', "$alg JWK: RSA 3072, e 65537");
    }

    if (!$hs) {
        like(slurp($k->{key}), qr/\A-----BEGIN PRIVATE KEY-----\n/,
             "$alg .key is PKCS#8 PEM");
        like(slurp($k->{pub}), qr/\A-----BEGIN PUBLIC KEY-----\n/,
             "$alg .pub is SubjectPublicKeyInfo PEM");
    }
}

{
    my $jwk = decode_json(slurp($keys{kES256}{jwks}))->{keys}[0];
    is($jwk->{tenant}, 'acme', 'keygen --tenant: "tenant" in the JWK');
    ok(!exists decode_json(slurp($keys{kES384}{jwks}))->{keys}[0]{tenant},
       'no --tenant: no "tenant" member');
    is(decode_json(slurp($keys{kHS256}{jwks}))->{keys}[0]{tenant}, 'acme',
       'HS key with --tenant');
}

# never replaces a file
{
    my $before = slurp($keys{kEdDSA}{key});
    my ($rc, $o, $e) = ctl('keygen', '--alg', 'EdDSA', '--kid', 'kEdDSA',
                           '--out', "$dir/keys");
    is($rc, 2, 'keygen over an existing key: exit 2');
    ok(one_line($e) && $e =~ /exists/, 'one line: exists') or diag($e);
    is(slurp($keys{kEdDSA}{key}), $before, 'existing key left alone');

    # a stray .jwks alone is enough to refuse, and nothing else is made
    spew("$dir/keys/kstray.jwks", "{}");
    ($rc, $o, $e) = ctl('keygen', '--alg', 'ES256', '--kid', 'kstray',
                        '--out', "$dir/keys");
    is($rc, 2, 'keygen refuses when any of its files exists');
    ok(!-e "$dir/keys/kstray.key", 'and writes nothing');
}

# an output directory others can read or write: a warning, still written
{
    mkdir "$dir/open";
    chmod 0755, "$dir/open";
    my ($rc, $o, $e) = ctl('keygen', '--alg', 'HS256', '--kid', 'kopen',
                           '--out', "$dir/open");
    is($rc, 0, 'keygen into a world-readable directory works');
    like($e, qr/^ticketctl: keygen: warning: .*world-readable/m,
         'and warns it is world-readable');

    mkdir "$dir/wide";
    chmod 0777, "$dir/wide";
    ($rc, $o, $e) = ctl('keygen', '--alg', 'EdDSA', '--kid', 'kwide',
                        '--out', "$dir/wide");
    like($e, qr/^ticketctl: keygen: warning: .*world-writable/m,
         'a world-writable directory is warned about');

    ($rc, $o, $e) = ctl('keygen', '--alg', 'EdDSA', '--kid', 'kquiet',
                        '--out', "$dir/keys");
    is($e, '', 'no warning for a 0700 directory');
}


# ---- mint + inspect round trip, every alg --------------------------------

for my $alg (@ALGS) {
    my $k = $keys{"k$alg"};
    my @tenant = $alg eq 'HS256' || $alg eq 'ES256' ? ('--tenant', 'acme') : ();
    my ($rc, $t, $e) = ctl('mint', '--key', $k->{key}, '--kid', "k$alg",
                           '--alg', $alg, '--sub', 'alice', '--kind', 'user',
                           @tenant);
    is($rc, 0, "mint $alg") or diag($e);
    $t =~ s/\n\z//;

    my ($h, $c, $s, $raw) = eval { parts($t) };
    is($raw, qq({"alg":"$alg","kid":"k$alg","typ":"JWT"}),
       "$alg header: alg, kid, typ in that order");

    ($rc, my $o, $e) = ctl('inspect', $t, '--keys', $k->{jwks});
    is($rc, 0, "inspect $alg: exit 0");
    like($o, qr/^verify: ok \(kid "k$alg", $alg\)$/m, "inspect $alg: ok");
}

# the signatures, checked without ticketctl or the core
for my $bits (256, 384, 512) {
    my $k = $keys{"kHS$bits"};
    my $t = mint('--key', $k->{key}, '--kid', "kHS$bits", '--alg',
                 "HS$bits", '--sub', 'alice', '--kind', 'user');
    my ($in, $sig) = $t =~ /\A(.*)\.([^.]*)\z/;
    my $secret = secret_of($k->{key});
    my $mac = $bits == 256 ? hmac_sha256($in, $secret)
            : $bits == 384 ? hmac_sha384($in, $secret)
            : hmac_sha512($in, $secret);
    is(b64url($mac), $sig, "HS$bits: the HMAC Digest::SHA computes");
}

for my $a ([ES256 => 64], [ES384 => 96], [ES512 => 132], [EdDSA => 64],
           [PS256 => 384], [RS256 => 384])
{
    my ($alg, $len) = @$a;
    my $t = mint('--key', $keys{"k$alg"}{key}, '--kid', "k$alg",
                 '--sub', 's', '--kind', 'service');
    my ($h, $c, $s) = parts($t);
    is(length($s), $len, "$alg signature: $len bytes"
       . ($alg =~ /^ES/ ? ' (raw R||S, not DER)' : ''));
}

# alg from the key when --alg is absent
for my $a ([kES384 => 'ES384'], [kES512 => 'ES512'], [kEdDSA => 'EdDSA'],
           [kRS256 => 'RS256'], [kHS512 => 'HS256'])
{
    my ($kid, $alg) = @$a;
    my $t = mint('--key', $keys{$kid}{key}, '--kid', $kid, '--sub', 's',
                 '--kind', 'user');
    is((parts($t))[0]{alg}, $alg, "no --alg: $kid key means $alg");
}

# --key KID:ALG:FILE, as ticket_key: a PEM public key, an HMAC secret file
for my $alg (qw(RS256 ES384 PS512 EdDSA HS384)) {
    my $k = $keys{"k$alg"};
    my $t = mint('--key', $k->{key}, '--kid', "k$alg", '--alg', $alg,
                 '--sub', 'bob', '--kind', 'service');
    my $file = $alg =~ /^HS/ ? $k->{key} : $k->{pub};
    my ($rc, $o) = ctl('inspect', $t, '--key', "k$alg:$alg:$file");
    ok($rc == 0 && $o =~ /^verify: ok \(kid "k$alg", $alg\)$/m,
       "inspect --key k$alg:$alg:FILE");
}


# ---- claims --------------------------------------------------------------

{
    my $t = mint('--key', $keys{kEdDSA}{key}, '--kid', 'kEdDSA',
                 '--sub', 'alice', '--kind', 'user', '--tenant', 'acme',
                 '--roles', 'admin,viewer', '--aud', 'billing',
                 '--iss', 'https://login.example', '--sid', 'dev-1',
                 '--jti', 'j-1', '--ttl', '1h30m', '--nbf', '+1m');
    my ($h, $c) = parts($t);
    is_deeply($c->{roles}, ['admin', 'viewer'], 'roles: an array');
    is($c->{aud}, 'billing', 'one --aud: a string');
    is(join(' ', @$c{qw(sub kind tenant iss sid jti)}),
       'alice user acme https://login.example dev-1 j-1',
       'sub kind tenant iss sid jti');
    is($c->{exp} - $c->{iat}, 5400, '--ttl 1h30m: exp = iat + 5400');
    is($c->{nbf} - $c->{iat}, 60, '--nbf +1m');
    ok(abs($c->{iat} - time) < 60, 'iat: now');
    like((split /\./, $t)[1], qr/\A\Q@{[b64url('{"aud":"billing","exp":')]}/,
         'claims JSON in a fixed (sorted) order');

    $t = mint('--key', $keys{kEdDSA}{key}, '--kid', 'kEdDSA',
              '--sub', 'alice', '--kind', 'service', '--aud', 'a',
              '--aud', 'b');
    ($h, $c) = parts($t);
    is_deeply($c->{aud}, ['a', 'b'], 'several --aud: an array');
    is($c->{exp} - $c->{iat}, 900, 'default ttl: 15m');
    like($c->{jti}, qr/\A[0-9a-f]{32}\z/, 'default jti: 16 random bytes, hex');
    is($c->{kind}, 'service', 'kind service');

    $t = mint('--key', $keys{kEdDSA}{key}, '--kid', 'kEdDSA',
              '--sub', 'alice', '--kind', 'user',
              '--claim', 'realm_access={"roles":["x"]}',
              '--claim', 'level=3', '--claim', 'note=plain text',
              '--claim', 'kind="robot"', '--claim', 'sub=42',
              '--iat', '2030-01-01T00:00:00Z', '--exp', '1893456600');
    ($h, $c) = parts($t);
    is_deeply($c->{realm_access}, { roles => ['x'] }, '--claim: JSON value');
    is($c->{level}, 3, '--claim: a number');
    is($c->{note}, 'plain text', '--claim: not JSON, a string');
    is("$c->{kind} " . $json->encode([$c->{sub}]), 'robot [42]',
       '--claim overrides standard claims');
    is($c->{iat}, 1893456000, '--iat RFC 3339');
    is($c->{exp}, 1893456600, '--exp unix seconds');
}


# ---- inspect: output and verdicts ----------------------------------------

my $es = $keys{kES256};
my $good = mint('--key', $es->{key}, '--kid', 'kES256', '--sub', 'alice',
                '--kind', 'user', '--tenant', 'acme', '--roles', 'a');
{
    my ($rc, $o, $e) = ctl('inspect', $good, '--keys', $es->{jwks});
    is($rc, 0, 'inspect: exit 0');
    like($o, qr/^header: \{\n  "alg": "ES256",\n  "kid": "kES256",\n/m,
         'inspect prints the header, indented, in ticket order');
    like($o, qr/^claims: \{\n(  .*\n)*  "sub": "alice",/m,
         'inspect prints the claims');
    like($o, qr/^exp: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 1[45]m/m,
         'exp as RFC 3339 UTC, relative');
    like($o, qr/^iat: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/m, 'iat as RFC 3339');
    my $sig = (split /\./, $good)[2];
    ok(index($o, $sig) < 0 && index($o, $good) < 0,
       'neither the ticket nor its signature is printed');
    is($e, '', 'nothing on stderr');

    ($rc, $o) = ctl({ stdin => "$good \r\n" }, 'inspect', '-',
                    '--keys', $es->{jwks});
    ok($rc == 0 && $o =~ /^verify: ok /m, 'inspect - reads stdin');

    ($rc, $o) = ctl('inspect', $good);
    is($rc, 0, 'inspect without keys: exit 0');
    like($o, qr/^verify: not checked \(no keys given\)$/m,
         'inspect without keys: not checked');

    ($rc, $o) = ctl('inspect', 'abc.def');
    is($rc, 1, 'inspect of a non-ticket: exit 1');
    like($o, qr/^verify: malformed \(not three segments\)$/m,
         'malformed, and why');
}

# tampered: claims changed, signature kept
{
    my ($h, $c, $s) = split /\./, $good;
    my $claims = b64url_decode($c);
    $claims =~ s/"alice"/"admin"/ or die;
    my $bad = join '.', $h, b64url($claims), $s;
    my ($rc, $o) = ctl('inspect', $bad, '--keys', $es->{jwks});
    is($rc, 1, 'tampered ticket: exit 1');
    like($o, qr/^verify: bad_signature$/m, 'tampered: bad_signature');

    # signature from another key of the same alg
    keygen('ES256', 'kother');
    my $other = mint('--key', $keys{kother}{key}, '--kid', 'kES256',
                  '--sub', 'alice', '--kind', 'user', '--tenant', 'acme');
    ($rc, $o) = ctl('inspect', $other, '--keys', $es->{jwks});
    ok($rc == 1 && $o =~ /^verify: bad_signature$/m,
       'signed by another key: bad_signature');
}

# time
{
    my $old = mint('--key', $es->{key}, '--kid', 'kES256', '--sub', 'alice',
                   '--kind', 'user', '--tenant', 'acme',
                   '--iat', '-2h', '--exp', '-1h');
    my ($rc, $o) = ctl('inspect', $old, '--keys', $es->{jwks});
    is($rc, 1, 'expired: exit 1');
    like($o, qr/^verify: expired$/m, 'expired');
    like($o, qr/^exp: .*\(1h ago\)$/m, 'exp shown as 1h ago');

    ($rc, $o) = ctl('inspect', $old, '--keys', $es->{jwks},
                    '--now', '-90m');
    ok($rc == 0 && $o =~ /^verify: ok /m, '--now inside its lifetime: ok');

    my $long = mint('--key', $es->{key}, '--kid', 'kES256', '--sub', 'alice',
                    '--kind', 'user', '--tenant', 'acme', '--ttl', '2h');
    ($rc, $o) = ctl('inspect', $long, '--keys', $es->{jwks});
    ok($rc == 1 && $o =~ /^verify: lifetime_exceeded$/m,
       '2h ticket, default max lifetime 1h: lifetime_exceeded');
    ($rc, $o) = ctl('inspect', $long, '--keys', $es->{jwks},
                    '--max-lifetime', '3h');
    ok($rc == 0 && $o =~ /^verify: ok /m, '--max-lifetime 3h: ok');

    my $soon = mint('--key', $es->{key}, '--kid', 'kES256', '--sub', 'alice',
                    '--kind', 'user', '--tenant', 'acme', '--nbf', '+10m');
    ($rc, $o) = ctl('inspect', $soon, '--keys', $es->{jwks});
    ok($rc == 1 && $o =~ /^verify: not_yet_valid$/m,
       'nbf ahead: not_yet_valid');
    ($rc, $o) = ctl('inspect', $soon, '--keys', $es->{jwks},
                    '--leeway', '11m');
    ok($rc == 0 && $o =~ /^verify: ok /m, '--leeway 11m covers it');

    my $str = mint('--key', $es->{key}, '--kid', 'kES256', '--sub', 'alice',
                   '--kind', 'user', '--tenant', 'acme', '--claim',
                   'exp="soon"');
    ($rc, $o) = ctl('inspect', $str, '--keys', $es->{jwks});
    ok($rc == 1
       && $o =~ /^verify: malformed \(claim "exp" not a number\)$/m,
       'a string exp: malformed, and why');
}

# keys and bindings
{
    my $t = mint('--key', $es->{key}, '--kid', 'kES256', '--sub', 'alice',
                 '--kind', 'user', '--tenant', 'globex');
    my ($rc, $o) = ctl('inspect', $t, '--keys', $es->{jwks});
    ok($rc == 1 && $o =~ /^verify: tenant_mismatch$/m,
       'tenant-bound key, other tenant: tenant_mismatch');

    $t = mint('--key', $es->{key}, '--kid', 'knone', '--sub', 'alice',
              '--kind', 'user', '--tenant', 'acme');
    ($rc, $o) = ctl('inspect', $t, '--keys', $es->{jwks},
                    '--keys', $keys{kES384}{jwks});
    ok($rc == 1 && $o =~ /^verify: unknown_key$/m, 'unknown kid: unknown_key');

    # the RS public key used as an HMAC secret: the classic confusion
    $t = mint('--key', $keys{kRS256}{pub}, '--kid', 'kRS256', '--alg',
              'HS256', '--sub', 'alice', '--kind', 'user');
    ($rc, $o) = ctl('inspect', $t, '--keys', $keys{kRS256}{jwks});
    ok($rc == 1 && $o =~ /^verify: alg_mismatch/m,
       'HS256 ticket for an RS256 key: alg_mismatch');

    # a header naming its own key, HMAC-signed by hand
    my $secret = secret_of($keys{kHS512}{key});
    my $in = b64url('{"alg":"HS512","kid":"kHS512","jku":"https://x/k"}')
             . '.' . b64url(sprintf('{"sub":"a","kind":"user","jti":"j",'
                                    . '"iat":%d,"exp":%d}', time, time + 60));
    $t = "$in." . b64url(hmac_sha512($in, $secret));
    ($rc, $o) = ctl('inspect', $t, '--keys', $keys{kHS512}{jwks});
    ok($rc == 1
       && $o =~ /^verify: untrusted_key_header \(header "jku" present\)$/m,
       'jku header: untrusted_key_header');
    $in = b64url('{"alg":"HS512","kid":"kHS512"}')
          . '.' . b64url(sprintf('{"sub":"a","kind":"user","jti":"j",'
                                 . '"iat":%d,"exp":%d}', time, time + 60));
    $t = "$in." . b64url(hmac_sha512($in, $secret));
    ($rc, $o) = ctl('inspect', $t, '--keys', $keys{kHS512}{jwks});
    ok($rc == 0 && $o =~ /^verify: ok \(kid "kHS512", HS512\)$/m,
       'a ticket signed by Perl verifies');
}


# ---- errors and usage ----------------------------------------------------

{
    my ($rc, $o, $e) = ctl('mint', '--key', "$dir/nope.pem", '--kid', 'k',
                           '--sub', 's', '--kind', 'user');
    is($rc, 2, 'unreadable key: exit 2');
    is($e, qq{ticketctl: mint: cannot read "$dir/nope.pem": }
           . "No such file or directory\n", 'unreadable key: the message');
    is($o, '', 'nothing on stdout');

    ($rc, $o, $e) = ctl('inspect', $good, '--keys', "$dir/nope.jwks");
    ok($rc == 2 && one_line($e), 'inspect, unreadable JWKS: exit 2, one line');

    spew("$dir/bad.jwks", '{"keys":[{"kty":"oct","kid":"x","k":"AA"}]}');
    ($rc, $o, $e) = ctl('inspect', $good, '--keys', "$dir/bad.jwks");
    ok($rc == 2 && one_line($e), 'JWKS key without alg: exit 2, one line')
        or diag($e);

    ($rc, $o, $e) = ctl('mint', '--key', $es->{key}, '--kid', 'k',
                        '--alg', 'ES384', '--sub', 's', '--kind', 'user');
    ok($rc == 2 && one_line($e), 'a P-256 key for ES384: exit 2, one line');
}

for my $case (
    [ 'mint without --sub', 'mint', '--key', 'k', '--kid', 'k', '--kind',
      'user' ],
    [ 'mint --kind robot', 'mint', '--key', 'k', '--kid', 'k', '--sub', 's',
      '--kind', 'robot' ],
    [ 'mint unknown option', 'mint', '--bogus' ],
    [ 'mint option without value', 'mint', '--key' ],
    [ 'mint --ttl bogus', 'mint', '--key', 'k', '--kid', 'k', '--sub', 's',
      '--kind', 'user', '--ttl', '15x' ],
    [ 'mint --exp and --ttl', 'mint', '--key', 'k', '--kid', 'k', '--sub',
      's', '--kind', 'user', '--ttl', '1m', '--exp', '+1m' ],
    [ 'keygen unknown alg', 'keygen', '--alg', 'none', '--kid', 'k',
      '--out', "$dir/x" ],
    [ 'keygen kid with a slash', 'keygen', '--alg', 'HS256', '--kid', 'a/b',
      '--out', "$dir/x" ],
    [ 'keygen without --out', 'keygen', '--alg', 'HS256', '--kid', 'k' ],
    [ 'inspect without a ticket', 'inspect' ],
    [ 'inspect --key without alg', 'inspect', $good, '--key', 'k:x' ],
    [ 'unknown command', 'frobnicate' ],
    [ 'help for an unknown command', 'help', 'frobnicate' ],
)
{
    my ($name, @args) = @$case;
    my ($rc, $o, $e) = ctl(@args);
    ok($rc == 2 && one_line($e) && $o eq '',
       "$name: exit 2, one line on stderr") or diag("rc $rc: $e");
}

{
    my ($rc, $o, $e) = ctl();
    ok($rc == 2 && one_line($e) && $e =~ /"ticketctl --help"/ && $o eq '',
       'no command: one line on stderr pointing at --help, exit 2');

    ($rc, $o, $e) = ctl('--help');
    ok($rc == 0 && $o =~ /^Usage: ticketctl /
       && $o =~ /^  keygen /m && $o =~ /^  mint /m && $o =~ /^  inspect /m
       && $e eq '', '--help: commands on stdout, exit 0');

    ($rc, $o, $e) = ctl('--version');
    ok($rc == 0 && $o =~ /^ticketctl \d+\.\d+/, '--version');
}

for my $cmd (qw(keygen mint inspect)) {
    my ($rc, $o, $e) = ctl($cmd, '--help');
    ok($rc == 0 && $o =~ /\AUsage: ticketctl $cmd / && $o =~ /--help/
       && $e eq '', "$cmd --help: usage on stdout, exit 0");

    ($rc, $o, $e) = ctl('help', $cmd);
    ok($rc == 0 && $o =~ /\AUsage: ticketctl $cmd / && $e eq '',
       "help $cmd");
}
