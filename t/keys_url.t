#!/usr/bin/perl
# Keys from a key service (SPEC "Keys", ticket_keys_url,
# ticket_oidc_issuer, ticket_keys_trusted_certificate), against a real
# HTTPS key service on loopback: a second nginx serving JWKS files over
# TLS with a certificate from a CA this test makes with openssl, the files
# rewritten by the test to rotate.  Rotation (a new kid verifies within
# seconds, no reload), retirement (a removed kid is refused after the
# refresh, a cached ticket too), the service answering 500, garbage, a
# 10 MB document, a certificate from another CA, down and slow (requests
# keep being served while a fetch hangs), discovery with its issuer
# check, several workers sharing one fetch (counted in the key service's
# access log), the metrics and log lines, reload keeping the keys, and
# max_stale.  No timing assertions: every outcome is polled for.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 37);

my $t = TicketTest->new;      # the gateway
my $ks = TicketTest->new;     # the key service
my $kd = $ks->dir;

# ---- a CA, the key service's certificate, and another CA's -----------------

my $san = "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
$ks->tls_ca('test');
$ks->tls_ca('other');
$ks->tls_cert('test', 'service', $san);
$ks->tls_cert('other', 'evil', $san);

# ---- keys and documents ----------------------------------------------------

my %key = map { $_ => $t->keygen('ES256', $_) } qw(k1 k2 k3);

sub jwk {
    my ($kid) = @_;
    return decode_json($t->read_file("keys/$kid.jwks"))->{keys}[0];
}

# the published document, rewritten as a provider rotates
sub publish {
    my (@kids) = @_;
    my $doc = encode_json({ keys => [ map { jwk($_) } @kids ] });
    $ks->write_file('www/jwks.json.tmp', $doc);
    rename "$kd/www/jwks.json.tmp", "$kd/www/jwks.json" or die "$!\n";
}

mkdir "$kd/www";
mkdir "$kd/www/bad";
mkdir "$kd/www/.well-known";
mkdir "$kd/www/bad/.well-known";
publish('k1');
$ks->write_file('www/count.json', encode_json({ keys => [ jwk('k3') ] }));
$ks->write_file('www/stale.json', encode_json({ keys => [ jwk('k3') ] }));
$ks->write_file('www/garbage.json', "<html>not a key set</html>\n");
{
    # 10 MB: refused whole, never truncated into a key set
    open my $fh, '>', "$kd/www/big.json" or die "$!\n";
    print $fh '{"keys":[' . (' ' x (10 * 1024 * 1024)) . ']}';
    close $fh;
}

my $ksp = $ks->port('ks');
my $iss = "https://localhost:$ksp";
$ks->write_file('www/.well-known/openid-configuration',
                encode_json({ issuer => $iss,
                              jwks_uri => "$iss/count.json" }));
$ks->write_file('www/bad/.well-known/openid-configuration',
                encode_json({ issuer => "https://evil.example",
                              jwks_uri => "$iss/count.json" }));

$ks->start(<<'EOF', wait_ports => [ $ksp, $ks->port('evil') ]);
    log_format keys '$server_port $request $status';
    server {
        listen 127.0.0.1:%%PORT:ks%% ssl;
        ssl_certificate %%DIR%%/service.pem;
        ssl_certificate_key %%DIR%%/service.key;
        access_log %%DIR%%/logs/fetches.log keys;
        root %%DIR%%/www;
        default_type application/json;
        location = /500.json { return 500; }
        location = /moved.json { return 302 https://elsewhere.example/; }
    }
    server {
        listen 127.0.0.1:%%PORT:evil%% ssl;
        ssl_certificate %%DIR%%/evil.pem;
        ssl_certificate_key %%DIR%%/evil.key;
        access_log %%DIR%%/logs/fetches.log keys;
        root %%DIR%%/www;
    }
EOF

# the slow key service: accepts TCP and never says a word
my $slow = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Listen => 8, Proto => 'tcp')
    or die "listen: $!\n";
my $slowp = $slow->sockport;
my $downp = $t->port('down');    # nobody listens there

my $ca = "$kd/test-ca.pem";
my $evilp = $ks->port('evil');

$t->start(<<"EOF", workers => 3);
    ticket_keys_trusted_certificate $ca;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /rot { ticket user;
            ticket_keys_url https://localhost:$ksp/jwks.json refresh=1s:2s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /count { ticket user;
            ticket_keys_url https://localhost:$ksp/count.json refresh=1h:1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /stale { ticket user;
            ticket_keys_url https://localhost:$ksp/stale.json refresh=1s:1s
                            max_stale=2s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /e500 { ticket user;
            ticket_keys_url https://localhost:$ksp/500.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /moved { ticket user;
            ticket_keys_url https://localhost:$ksp/moved.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /garbage { ticket user;
            ticket_keys_url https://localhost:$ksp/garbage.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /big { ticket user;
            ticket_keys_url https://localhost:$ksp/big.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /evil { ticket user;
            ticket_keys_url https://localhost:$evilp/jwks.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /system { ticket user;
            ticket_keys_trusted_certificate "";
            ticket_keys_url https://localhost:$ksp/count.json?system;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /down { ticket user;
            ticket_keys_url https://127.0.0.1:$downp/jwks.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /slow { ticket user;
            ticket_keys_url https://127.0.0.1:$slowp/jwks.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /oidc { ticket user;
            ticket_oidc_issuer $iss;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /oidcbad { ticket user;
            ticket_oidc_issuer $iss/bad;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location = /status { ticket_status; }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

sub ticket {
    my ($kid, %more) = @_;
    return $t->mint(key => $key{$kid}{key}, kid => $kid, sub => "u-$kid",
                    kind => 'user', %more);
}

my %tk = map { $_ => ticket($_) } qw(k1 k2 k3);

sub status { $t->get($_[0], ticket => $_[1])->{status} }

# poll until $code returns true; the time it took, or undef
sub poll {
    my ($code, $limit) = @_;
    my $start = time;
    my $end = $start + ($limit // 20);
    while (time < $end) {
        return time - $start if $code->();
        sleep 0.05;
    }
    return undef;
}

sub metric { $t->metric(@_) }

sub fetched {
    my ($path) = @_;
    my @l = grep { m{ GET \Q$path\E } } split /\n/,
            $ks->read_file('logs/fetches.log');
    return scalar @l;
}

my $src = "https://localhost:$ksp/jwks.json";

# ---- rotation and retirement -----------------------------------------------

ok(defined poll(sub { status('/rot', $tk{k1}) == 200 }),
   'the first key set is fetched at start: k1 verifies');
is(status('/rot', $tk{k2}), 401, 'k2 is not published yet: refused');

publish('k1', 'k2');
my $rotation = poll(sub { status('/rot', $tk{k2}) == 200 });
ok(defined $rotation, 'k2 published: verifies within seconds, no reload');
diag(sprintf 'rotation: k2 verified %.2f s after it was published',
             $rotation // -1);
is(status('/rot', $tk{k1}), 200, 'k1 still verifies');
like($t->error_log,
     qr/\[notice\][^\n]*keys of "\Q$src\E" changed: added "k2" \(ES256\); removed none; 2 keys/,
     'notice: kid added');

# k1's ticket is in the verified-ticket cache now; retire k1
status('/rot', $tk{k1}) for 1 .. 3;
publish('k2');
ok(defined poll(sub { status('/rot', $tk{k1}) == 401 }),
   'k1 removed: its (cached) ticket is refused after the refresh');
is(status('/rot', $tk{k1}), 401, 'and stays refused');
is(status('/rot', $tk{k2}), 200, 'k2 verifies');
like($t->error_log,
     qr/\[notice\][^\n]*keys of "\Q$src\E" changed: added none; removed "k1" \(ES256\); 1 keys/,
     'notice: kid removed');

# ---- several workers, one fetch -------------------------------------------

ok(defined poll(sub { (metric('ticket_keys_fetch_total',
                              source => "https://localhost:$ksp/count.json",
                              result => 'ok') // 0) >= 1 }),
   'count.json fetched');
my %seen;
$seen{status('/count', $tk{k3})}++ for 1 .. 30;
is_deeply(\%seen, { 200 => 30 }, 'every worker verifies with the fetched set');
my $count_fetches = fetched('/count.json');
# /oidc reads count.json too (through discovery), once; /system fails TLS
cmp_ok($count_fetches, '<=', 2,
       '3 workers: one fetch of count.json (and one by the OIDC source)');
diag("count.json fetched $count_fetches times by 3 workers"
     . ' (one by /count, one by /oidc)');

# ---- a key service that fails -----------------------------------------------

for my $case ([ '/e500', '500.json', 'http_error' ],
              [ '/moved', 'moved.json', 'http_error' ],
              [ '/garbage', 'garbage.json', 'invalid' ],
              [ '/big', 'big.json', 'too_large' ],
              [ '/evil', 'jwks.json', 'tls_error', "https://localhost:"
                                                   . $ks->port('evil') ],
              [ '/system', 'count.json?system', 'tls_error' ],
              [ '/down', 'jwks.json', 'connect_error',
                "https://127.0.0.1:$downp" ])
{
    my ($loc, $file, $result, $base) = @$case;
    $base //= "https://localhost:$ksp";
    ok(defined poll(sub { (metric('ticket_keys_fetch_total',
                                  source => "$base/$file",
                                  result => $result) // 0) >= 1 }),
       "$loc: counted as $result");
}
is(status('/big', $tk{k3}), 401, 'a 10 MB document never loads');
is(status('/evil', $tk{k1}), 401,
   'a certificate from another CA: no key ever loads');

# ---- slow: a fetch that hangs stalls no worker -----------------------------

$slow->blocking(0);
my $held;
poll(sub { $held = $slow->accept; $held }, 20);
ok($held, 'a worker connected to the slow key service');
%seen = ();
$seen{status('/rot', $tk{k2})}++ for 1 .. 30;
is_deeply(\%seen, { 200 => 30 },
          'while it hangs, every request is served');
ok(defined poll(sub { (metric('ticket_keys_fetch_total',
                              source => "https://127.0.0.1:$slowp/jwks.json",
                              result => 'timeout') // 0) >= 1 }, 30),
   'the hanging fetch times out');
close $held if $held;

# ---- discovery ---------------------------------------------------------------

my $oidc_tk = ticket('k3', iss => $iss);
ok(defined poll(sub { status('/oidc', $oidc_tk) == 200 }),
   'discovery: jwks_uri fetched, the issuer accepted');
is(status('/oidc', ticket('k3', iss => 'https://evil.example')), 401,
   'discovery: another issuer refused');
ok(defined poll(sub { (metric('ticket_keys_fetch_total',
                              source => "$iss/bad", result => 'invalid')
                       // 0) >= 1 }),
   'discovery: a document with a mismatching issuer is invalid');
is(status('/oidcbad', ticket('k3', iss => 'https://evil.example')), 401,
   'discovery: no key from a mismatching issuer');

# ---- metrics -----------------------------------------------------------------

is(metric('ticket_keys', source => $src), 1, 'ticket_keys: 1 key');
like(metric('ticket_keys_age_seconds', source => $src) // '', qr/^\d+$/,
     'ticket_keys_age_seconds');

# ---- reload keeps the keys, the service down keeps them ------------------------

ok($t->reload, 'reload');
is(status('/rot', $tk{k2}), 200, 'after reload k2 verifies at once');

$ks->stop;
my $before = metric('ticket_keys_fetch_total', source => $src,
                    result => 'connect_error') // 0;
ok(defined poll(sub { (metric('ticket_keys_fetch_total', source => $src,
                              result => 'connect_error') // 0) > $before }),
   'the key service down: fetches fail');
is(status('/rot', $tk{k2}), 200, 'the keys stay through failures');
ok(defined poll(sub { status('/stale', $tk{k3}) == 401 }),
   'past max_stale: unknown_key');
like($t->error_log, qr/\[error\][^\n]*keys of "[^"]*stale.json" are \d+ s old, more than max_stale/,
     'past max_stale: an error line');

$t->done;
