#!/usr/bin/perl
# ticket_keys_url beside ticket_keys / ticket_key in one scope: the scope's
# key set is both, in either order of the directives.  A file's key wins
# over the service's key of the same (kid, alg); the service's keys
# rotate in and retire as they do alone, the files' stay.  A ticket a key
# file names is verified at once, even while the service's first document
# is still awaited (a service that never answers): it does not wait for
# it.  The key service is a second nginx serving the JWKS over TLS with a
# certificate from a CA this test makes.  Outcomes are polled for; a
# request that waits for a first document says so in the error log.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 17);

my $t = TicketTest->new;      # the gateway
my $ks = TicketTest->new;     # the key service
my $kd = $ks->dir;

my $ca = $ks->tls_ca('combined');
$ks->tls_cert('combined', 'service', "subjectAltName=DNS:localhost,IP:127.0.0.1\n");

# f1, f2: the key files' (f1 in a JWKS, f2 a PEM); s1, s2: the service's;
# "f1" is also the kid of another key the service publishes (sf1)
my %key = map { $_ => $t->keygen('ES256', $_) } qw(f1 f2 s1 s2);
my $sf1 = $ks->keygen('ES256', 'f1');     # same kid and alg, another key

sub jwk {
    my ($kid) = @_;
    return decode_json($ks->read_file("keys/f1.jwks"))->{keys}[0]
        if $kid eq 'sf1';
    return decode_json($t->read_file("keys/$kid.jwks"))->{keys}[0];
}

sub publish {
    my (@kids) = @_;
    $ks->write_file('www/jwks.json.tmp',
                    encode_json({ keys => [ map { jwk($_) } @kids ] }));
    rename "$kd/www/jwks.json.tmp", "$kd/www/jwks.json" or die "$!\n";
}

mkdir "$kd/www";
publish('s1', 'sf1');

my $ksp = $ks->port('ks');
$ks->start(<<'EOF', wait_ports => [ $ksp ]);
    log_format keys '$request $status';
    server {
        listen 127.0.0.1:%%PORT:ks%% ssl;
        ssl_certificate %%DIR%%/service.pem;
        ssl_certificate_key %%DIR%%/service.key;
        access_log %%DIR%%/logs/fetches.log keys;
        root %%DIR%%/www;
        default_type application/json;
    }
EOF

# a key service that accepts and never says a word
my $silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                   Listen => 8, Proto => 'tcp')
    or die "listen: $!\n";
my $silentp = $silent->sockport;

my $src = "https://localhost:$ksp/jwks.json";
my $conf = <<"EOF";
    ticket_keys_trusted_certificate $ca;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /files-first { ticket user;
            ticket_keys %%DIR%%/keys/f1.jwks;
            ticket_key f2 ES256 %%DIR%%/keys/f2.pub;
            ticket_keys_url $src refresh=1s:2s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /url-first { ticket user;
            ticket_keys_url $src refresh=1s:2s;
            ticket_keys %%DIR%%/keys/f1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
        location /silent { ticket user;
            ticket_keys %%DIR%%/keys/f1.jwks;
            ticket_keys_url https://127.0.0.1:$silentp/jwks.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%; }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

my ($rc, $out) = $t->nginx_test($conf);
is($rc, 0, 'nginx -t: key files and a key service in one scope')
    or diag($out);

sub ticket {
    my ($kid, $file) = @_;
    return $t->mint(key => $file // $key{$kid}{key}, kid => $kid,
                    sub => "u-$kid", kind => 'user');
}

my %tk = map { $_ => ticket($_) } qw(f1 f2 s1 s2);
my $tk_sf1 = ticket('f1', $sf1->{key});

$t->start($conf, workers => 3);

# ---- the first request, a file key's ticket, the service silent -----------

my $r = $t->get('/silent', ticket => $tk{f1});
is($r->{status}, 200, 'a file key verifies while the service never answers');
my $waits = sub {
    () = $t->error_log =~ /waits for the key service's first document/g
};
is($waits->(), 0,
   'it did not wait for the first document (no request waited)');

# the control: a ticket of a kid no file names does wait (the line the
# assertion above looks for is there to be found); its answer is the 401
# of an unknown key once the bounded wait gave up on the silent service
$r = $t->get('/silent', ticket => $tk{s1});
is($r->{status}, 401, "the service's kid at /silent: 401 after the wait");
ok($waits->() >= 1, 'and that request did wait, and said so');

# ---- both sets ---------------------------------------------------------------

sub status { $t->get($_[0], ticket => $_[1])->{status} }

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

for my $loc ('/files-first', '/url-first') {
    ok(defined poll(sub { status($loc, $tk{s1}) == 200 }),
       "$loc: the service's key verifies");
    is(status($loc, $tk{f1}), 200, "$loc: the file's key verifies");
    is(status($loc, $tk_sf1), 401,
       "$loc: the service's key of the file key's kid and alg does not");
}
is(status('/files-first', $tk{f2}), 200, 'a ticket_key PEM beside them');

# ---- rotation and retirement on the service side ---------------------------

publish('s1', 's2', 'sf1');
my $rotation = poll(sub { status('/files-first', $tk{s2}) == 200 });
ok(defined $rotation, 's2 published: verifies without a reload');
diag(sprintf 'rotation: s2 verified %.2f s after it was published',
             $rotation // -1);

publish('s2', 'sf1');
ok(defined poll(sub { status('/files-first', $tk{s1}) == 401 }),
   's1 retired: refused after the refresh');
is(status('/files-first', $tk{f1}), 200, 'the file key stays');
is(status('/url-first', $tk{s2}), 200, 'the other scope sees s2 too');

my $fetches = () = $ks->read_file('logs/fetches.log') =~ m{GET /jwks.json}g;
diag("jwks.json fetched $fetches times by 3 workers over the test "
     . '(refresh=1s:2s, one source for both scopes)');

close $silent;
$ks->stop;
$t->done;
