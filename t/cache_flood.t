#!/usr/bin/perl
# The verified-ticket cache under a flood of forged tickets: failed
# signatures are remembered within a byte budget of their own, so that
# 1,500 forged 8 KB tickets never push a verified entry out, and the
# newest failures are still remembered after any number of them (a count
# cap stopped remembering after 4,096).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);
use TicketTest;

plan(tests => 10);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

$t->start(<<'EOF2');
    ticket_shm_size 32m;                # a cache zone of 8 MB
    large_client_header_buffers 4 32k;
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log off;

        location /a/ {
            ticket user;
            try_files /nonexistent =204;      # after the access phase
        }

        location = /status {
            ticket_status;
        }
    }
EOF2

sub metric {
    my ($name) = @_;
    my $body = $t->get('/status')->{body};
    return $body =~ /^\Q$name\E (\d+)$/m ? $1 : -1;
}

# requests pipelined on one connection: the statuses, in order
sub batch {
    my (@tickets) = @_;
    my $req = '';
    for my $i (0 .. $#tickets) {
        $req .= "GET /a/ HTTP/1.1\r\nHost: x\r\n"
              . "Authorization: Bearer $tickets[$i]\r\n"
              . ($i == $#tickets ? "Connection: close\r\n" : '') . "\r\n";
    }
    my $resp = $t->http($req);
    return $resp =~ m{^HTTP/1\.1 (\d{3})}mg;
}

my $now = time;
my $n = 0;

# a forged ticket: well-formed, kid k1, in its time window, a signature
# of the right length that does not verify; padded to about $size bytes
sub forged {
    my ($size) = @_;
    $n++;
    my $h = TicketTest::b64url('{"alg":"ES256","kid":"k1","typ":"JWT"}');
    my $claims = sprintf '{"sub":"m%d","kind":"user","jti":"f%d",'
                         . '"iat":%d,"exp":%d,"pad":"%s"}',
                         $n, $n, int($now), int($now) + 600,
                         'x' x ($size > 400 ? int(($size - 400) * 3 / 4) : 1);
    my $sig = TicketTest::b64url(join '', map { chr(($n * 7 + $_) % 256) }
                                               1 .. 64);
    return "$h." . TicketTest::b64url($claims) . ".$sig";
}

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user');

is($t->get('/a/', ticket => $good)->{status}, 204, 'good ticket: allowed');
my $hits = metric('ticket_cache_hits_total');
is($t->get('/a/', ticket => $good)->{status}, 204, 'good ticket again');
is(metric('ticket_cache_hits_total'), $hits + 1, 'good ticket: a cache hit');

# 1,500 forged 8 KB tickets: 12 MB (18 MB of slab pages) into 8 MB

my (@big, $last);
my $refused = 0;
for my $b (1 .. 15) {
    my @tk = map { forged(8192) } 1 .. 100;
    $last = $tk[-1];
    $refused += grep { $_ == 401 } batch(@tk);
}
is($refused, 1500, 'forged tickets: all 1,500 refused');

$hits = metric('ticket_cache_hits_total');
is($t->get('/a/', ticket => $good)->{status}, 204, 'good ticket after flood');
is(metric('ticket_cache_hits_total'), $hits + 1,
   'good ticket after the flood: still a cache hit');

$hits = metric('ticket_cache_hits_total');
is($t->get('/a/', ticket => $last)->{status}, 401, 'newest forged: 401');
is(metric('ticket_cache_hits_total'), $hits + 1,
   'newest forged ticket: its failure remembered');

# 4,200 small forged tickets: more failures than a count cap held

$refused = 0;
for my $b (1 .. 42) {
    my @tk = map { forged(300) } 1 .. 100;
    $last = $tk[-1];
    $refused += grep { $_ == 401 } batch(@tk);
}

$hits = metric('ticket_cache_hits_total');
$t->get('/a/', ticket => $last);
is(metric('ticket_cache_hits_total'), $hits + 1,
   'after 4,200 more failures the newest is still remembered');

$t->done;
