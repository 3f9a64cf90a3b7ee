#!/usr/bin/perl
# Keys from a key service (SPEC "Keys"): when they are fetched again, and
# whose certificate is accepted, against a real HTTPS key service on
# loopback (a second nginx serving JWKS over TLS with a certificate from a
# CA this test makes; its access log counts the fetches).
#
#   - the refresh follows the document's Cache-Control max-age clamped
#     into refresh=MIN:MAX: a max-age below MIN refreshes every MIN, one
#     within the bounds about every max-age, one above MAX every MAX;
#   - a burst of 200 tickets with 200 unknown kids refetches at once but
#     at most once every NGX_HTTP_TICKET_KEYS_RETRY (5) seconds per source,
#     every request answered and the workers free meanwhile;
#   - a certificate from the trusted CA for another name (the URL says
#     localhost or 127.0.0.1, the certificate other.test) fails the fetch
#     as tls_error: no document is requested, no key loads.
#
# No timing assertions: fetches are counted over a window the test
# measures, against bounds with generous margins (the tick is 1 s, the
# machine may be loaded).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 24);

my $t = TicketTest->new;      # the gateway
my $ks = TicketTest->new;     # the key service
my $kd = $ks->dir;

my $ca = $ks->tls_ca('test');
$ks->tls_cert('test', 'service', "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
# the trusted CA, another name: neither localhost nor 127.0.0.1
$ks->tls_cert('test', 'other.test', "subjectAltName=DNS:other.test\n");

my $k1 = $t->keygen('ES256', 'k1');
my $jwks = $t->read_file('keys/k1.jwks');

mkdir "$kd/www";
$ks->write_file("www/$_.json", $jwks) for qw(below within above burst);

my $ksp = $ks->port('ks');
my $wrongp = $ks->port('wrong');

$ks->start(<<'EOF', wait_ports => [ $ksp, $wrongp ]);
    log_format keys '$server_port $request $status';
    server {
        listen 127.0.0.1:%%PORT:ks%% ssl;
        ssl_certificate %%DIR%%/service.pem;
        ssl_certificate_key %%DIR%%/service.key;
        access_log %%DIR%%/logs/fetches.log keys;
        root %%DIR%%/www;
        default_type application/json;
        location = /below.json { add_header Cache-Control "max-age=1"; }
        location = /within.json {
            add_header Cache-Control "public, max-age=4"; }
        location = /above.json { add_header Cache-Control "max-age=3600"; }
    }
    server {
        listen 127.0.0.1:%%PORT:wrong%% ssl;
        ssl_certificate %%DIR%%/other.test.pem;
        ssl_certificate_key %%DIR%%/other.test.key;
        access_log %%DIR%%/logs/fetches.log keys;
        root %%DIR%%/www;
        default_type application/json;
    }
EOF

my %url = (
    below  => "https://localhost:$ksp/below.json",
    within => "https://localhost:$ksp/within.json",
    above  => "https://localhost:$ksp/above.json",
    burst  => "https://localhost:$ksp/burst.json",
    wrongname => "https://localhost:$wrongp/jwks.json",
    wrongip   => "https://127.0.0.1:$wrongp/jwks.json",
);

$t->start(<<"EOF", workers => 2);
    ticket_keys_trusted_certificate $ca;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /below { ticket user;
            ticket_keys_url $url{below} refresh=4s:30s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /within { ticket user;
            ticket_keys_url $url{within} refresh=1s:30s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /above { ticket user;
            ticket_keys_url $url{above} refresh=1s:2s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /burst { ticket user;
            ticket_keys_url $url{burst} refresh=1h:1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /wrongname { ticket user;
            ticket_keys_url $url{wrongname};
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /wrongip { ticket user;
            ticket_keys_url $url{wrongip};
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location = /status { ticket_status; }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

my $tk = $t->mint(key => $k1->{key}, kid => 'k1', sub => 'alice',
                  kind => 'user');

sub status { $t->get($_[0], ticket => $_[1])->{status} }

sub poll { TicketTest::poll(@_) }

sub metric { $t->metric(@_) }

sub fetched {
    my ($path) = @_;
    return scalar grep { m{ GET \Q$path\E } } split /\n/,
                   $ks->read_file('logs/fetches.log');
}

# ---- (a) max-age clamped into refresh=MIN:MAX ---------------------------------

for my $s (qw(below within above burst)) {
    ok(poll(sub { (metric('ticket_keys_fetch_total', source => $url{$s},
                          result => 'ok') // 0) >= 1 }),
       "$s.json: the first document fetched");
}

# The window: each source's fetches over the same measured seconds.
# below: max-age=1 under MIN=4, every 4-5 s; unclamped it would be 1-2 s.
# within: max-age=4 in 1:30, every 4-5 s; MIN would be 1-2 s, MAX 30 s.
# above: max-age=3600 over MAX=2, every 2-3 s.
my %start = map { $_ => fetched("/$_.json") } qw(below within above);
my $t0 = time;
sleep 20;
my %n = map { $_ => fetched("/$_.json") - $start{$_} } qw(below within above);
my $w = time - $t0;
diag(sprintf 'in %.1f s: below.json %d fetches, within.json %d, '
             . 'above.json %d', $w, @n{qw(below within above)});

cmp_ok($n{below}, '<=', int($w / 4) + 2,
       'max-age below MIN: refreshed no more often than every MIN');
cmp_ok($n{below}, '>=', 1, 'max-age below MIN: refreshed');
cmp_ok($n{within}, '<=', int($w / 4) + 2,
       'max-age within the bounds: no more often than every max-age');
cmp_ok($n{within}, '>=', int($w / 8),
       'max-age within the bounds: about every max-age, not every MAX');
cmp_ok($n{above}, '>=', int($w / 5),
       'max-age above MAX: refreshed every MAX, not after max-age');
cmp_ok($n{above}, '<=', int($w / 2) + 2,
       'max-age above MAX: no more often than every MAX');
is(status('/within', $tk), 200, 'the refreshed keys verify');

# ---- (b) a burst of unknown kids: refetched at once, rate-limited ----------

# a well-formed ticket naming kid $kid, its signature junk: unknown_key
my $now = int(time);
sub unknown {
    my ($i) = @_;
    my $h = TicketTest::b64url(qq({"alg":"ES256","kid":"nokid-$i","typ":"JWT"}));
    my $c = TicketTest::b64url(qq({"sub":"u$i","kind":"user","jti":"j$i",)
                               . qq("iat":$now,"exp":) . ($now + 600) . '}');
    return "$h.$c." . TicketTest::b64url('x' x 64);
}

# requests on connections opened at once, each pipelined: the statuses
sub burst {
    my (@conns) = @_;    # [ [ uri, ticket ], ... ] a connection
    my (%sock, %buf);
    my $sel = IO::Select->new;
    for my $i (0 .. $#conns) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                                                  . $t->port('main'),
                                      Proto => 'tcp') or die "$!\n";
        my @r = @{$conns[$i]};
        my $req = '';
        for my $j (0 .. $#r) {
            $req .= "GET $r[$j][0] HTTP/1.1\r\nHost: x\r\n"
                  . "Authorization: Bearer $r[$j][1]\r\n"
                  . ($j == $#r ? "Connection: close\r\n" : '') . "\r\n";
        }
        syswrite $s, $req;
        $sock{fileno $s} = $i;
        $buf{$i} = '';
        $sel->add($s);
    }
    my $end = time + 30;
    while ($sel->count && time < $end) {
        for my $s ($sel->can_read(1)) {
            my $n = sysread $s, my $b, 65536;
            if ($n) {
                $buf{$sock{fileno $s}} .= $b;
            } else {
                $sel->remove($s);
                close $s;
            }
        }
    }
    return map { [ $buf{$_} =~ m{^HTTP/1\.1 (\d{3})}mg ] } 0 .. $#conns;
}

# the first fetch lies more than the 5 s rate limit back (the window)
my $before = fetched('/burst.json');
my @conns;
my $i = 0;
for my $c (1 .. 20) {
    # ten unknown kids and, between them, a known kid of another source
    push @conns, [ (map { [ '/burst', unknown($i++) ] } 1 .. 5),
                   [ '/above', $tk ],
                   (map { [ '/burst', unknown($i++) ] } 1 .. 5) ];
}
my @got = burst(@conns);
my (%burst, %other);
for my $r (@got) {
    $burst{$_}++ for @$r[0 .. 4, 6 .. 10];
    $other{$r->[5] // 'none'}++;
}
is_deeply(\%burst, { 401 => 200 }, '200 unknown kids: every request 401');
is_deeply(\%other, { 200 => 20 },
          'meanwhile a known kid of another source: 200 on every connection');

ok(poll(sub { fetched('/burst.json') > $before }),
   'an unknown kid: the key set refetched at once');
sleep 2;    # a late fetch the burst caused would be in the log by now
my $burst_fetches = fetched('/burst.json') - $before;
cmp_ok($burst_fetches, '<=', 2,
       'the burst: at most 2 fetches of its source (one every 5 s)');
diag("200 unknown kids in a burst: $burst_fetches fetch(es)");

# the rate limit holds while unknown kids keep coming for 3 s more
$before = fetched('/burst.json');
my $t1 = time;
my %seen;
while (time < $t1 + 3) {
    $seen{status('/burst', unknown($i++))}++;
}
my $more = fetched('/burst.json') - $before;
cmp_ok($more, '<=', 1,
       'unknown kids for 3 s more: at most one fetch (the limit)');
diag(sprintf '%d more unknown kids in %.1f s: %d fetch(es)',
             $i - 200, time - $t1, $more);
is(status('/burst', $tk), 200, 'the known kid of that source verifies');

# ---- (c) the trusted CA, another name ------------------------------------------

for my $s (qw(wrongname wrongip)) {
    ok(poll(sub { (metric('ticket_keys_fetch_total', source => $url{$s},
                          result => 'tls_error') // 0) >= 1 }),
       "$s: the fetch counted as tls_error");
}
like($t->error_log,
     qr/\[error\][^\n]*key service localhost: TLS handshake failed: certificate not verified: hostname mismatch/,
     'an error line: localhost, the certificate names another host');
like($t->error_log,
     qr/\[error\][^\n]*key service 127\.0\.0\.1: TLS handshake failed: certificate not verified: IP address mismatch/,
     'an error line: 127.0.0.1, the certificate names no such address');
is(scalar(grep { /^$wrongp / } split /\n/, $ks->read_file('logs/fetches.log')),
   0, 'no document requested from a server of another name');
is(status('/wrongname', $tk) . ' ' . status('/wrongip', $tk), '401 401',
   'no key from it: its tickets are 401');

$ks->stop;
$t->done;
