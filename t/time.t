#!/usr/bin/perl
# Time checks: exp, nbf and iat with ticket_leeway, exp - iat against
# ticket_max_lifetime, and their merging (inner scope replaces outer,
# nested and sibling locations inherit).  Time is checked before any
# signature work: a stale ticket with a bad signature is refused for its
# time, never verified ($ticket_verified 0), while a signature of the
# wrong length is refused before time.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest qw(b64url b64url_decode);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

$t->start(<<'EOF');
    log_format t '$uri $status $ticket_reason $ticket_verified';
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_leeway 30s;
    ticket_max_lifetime 1h;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/t.log t;

        # inherits 30s / 1h from http
        location /a/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        # replaces both
        location /b/ {
            ticket user;
            ticket_leeway 0;
            ticket_max_lifetime 10m;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;

            # inherits 0 / 10m from /b/
            location /b/c/ {
                proxy_pass http://127.0.0.1:%%PORT:backend%%;
            }
        }

        # replaces the leeway only; the lifetime (1h) is inherited
        location /d/ {
            ticket user;
            ticket_leeway 20s;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend $request_uri\n";
        }
    }
EOF

# a ticket minted now: %o gives iat/nbf/exp as offsets from now
sub tk {
    my (%o) = @_;
    my $now = time;
    my %a = (key => $k->{key}, kid => 'k1', sub => 'alice', kind => 'user');
    my $iat = $now + ($o{iat} // 0);
    $a{iat} = $iat;
    $a{exp} = defined $o{life} ? $iat + $o{life} : $now + ($o{exp} // 600);
    $a{nbf} = $now + $o{nbf} if defined $o{nbf};
    return $t->mint(%a);
}

# same length, one signature byte changed
sub tamper {
    my ($tok) = @_;
    my ($h, $c, $s) = split /\./, $tok;
    my $sig = b64url_decode($s);
    substr($sig, 10, 1) = chr(ord(substr $sig, 10, 1) ^ 0x5a);
    return "$h.$c." . b64url($sig);
}

# two bytes short
sub truncate_sig {
    my ($tok) = @_;
    my ($h, $c, $s) = split /\./, $tok;
    return "$h.$c." . b64url(substr b64url_decode($s), 0, -2);
}

# [name, location, ticket maker, status, reason, verified]
my @cases = (
    # /a/: leeway 30s, max lifetime 1h (http level)
    ['valid', 'a', sub { tk() }, 200, 'ok', 1],
    ['expired 31 s ago', 'a',
     sub { tk(iat => -600, exp => -31) }, 401, 'expired', 0],
    ['expired 1 h ago', 'a',
     sub { tk(iat => -4000, exp => -3600) }, 401, 'expired', 0],
    ['expired 10 s ago (within leeway)', 'a',
     sub { tk(iat => -600, exp => -10) }, 200, 'ok', 1],
    ['nbf 60 s ahead', 'a', sub { tk(nbf => 60) }, 401, 'not_yet_valid', 0],
    ['nbf 10 s ahead (within leeway)', 'a', sub { tk(nbf => 10) },
     200, 'ok', 1],
    ['nbf in the past', 'a', sub { tk(iat => -100, nbf => -50) },
     200, 'ok', 1],
    ['iat 120 s ahead', 'a', sub { tk(iat => 120, life => 600) },
     401, 'issued_in_future', 0],
    ['iat 10 s ahead (within leeway)', 'a', sub { tk(iat => 10, life => 600) },
     200, 'ok', 1],
    ['lifetime 2 h', 'a', sub { tk(iat => -100, life => 7200) },
     401, 'lifetime_exceeded', 0],
    ['lifetime exactly 1 h', 'a', sub { tk(iat => -100, life => 3600) },
     200, 'ok', 1],
    ['lifetime 1 h + 1 s', 'a', sub { tk(iat => -100, life => 3601) },
     401, 'lifetime_exceeded', 0],

    # time before signature work
    ['expired, bad signature', 'a',
     sub { tamper(tk(iat => -600, exp => -60)) }, 401, 'expired', 0],
    ['not yet valid, bad signature', 'a',
     sub { tamper(tk(nbf => 120)) }, 401, 'not_yet_valid', 0],
    ['issued in future, bad signature', 'a',
     sub { tamper(tk(iat => 300, life => 600)) }, 401, 'issued_in_future', 0],
    ['lifetime exceeded, bad signature', 'a',
     sub { tamper(tk(iat => -100, life => 7200)) },
     401, 'lifetime_exceeded', 0],
    ['fresh, bad signature (control)', 'a', sub { tamper(tk()) },
     401, 'bad_signature', 0],
    # the signature length is checked before time
    ['expired, signature 2 bytes short', 'a',
     sub { truncate_sig(tk(iat => -600, exp => -60)) },
     401, 'bad_signature', 0],

    # /b/: leeway 0, max lifetime 10m (replaces http's)
    ['valid', 'b', sub { tk(exp => 300) }, 200, 'ok', 1],
    ['expired 10 s ago (no leeway)', 'b',
     sub { tk(iat => -300, exp => -10) }, 401, 'expired', 0],
    ['expired 1 s ago (no leeway)', 'b',
     sub { tk(iat => -300, exp => -1) }, 401, 'expired', 0],
    ['nbf 10 s ahead (no leeway)', 'b', sub { tk(nbf => 10, exp => 300) },
     401, 'not_yet_valid', 0],
    ['iat 10 s ahead (no leeway)', 'b', sub { tk(iat => 10, life => 300) },
     401, 'issued_in_future', 0],
    ['lifetime exactly 10 m', 'b', sub { tk(iat => -100, life => 600) },
     200, 'ok', 1],
    ['lifetime 10 m + 1 s', 'b', sub { tk(iat => -100, life => 601) },
     401, 'lifetime_exceeded', 0],
    ['lifetime 1 h (allowed outside)', 'b',
     sub { tk(iat => -100, life => 3600) }, 401, 'lifetime_exceeded', 0],
    ['expired, bad signature', 'b',
     sub { tamper(tk(iat => -300, exp => -10)) }, 401, 'expired', 0],

    # /b/c/: nested, inherits /b/'s 0 / 10m (and ticket user)
    ['valid', 'b/c', sub { tk(exp => 300) }, 200, 'ok', 1],
    ['expired 10 s ago (no leeway)', 'b/c',
     sub { tk(iat => -300, exp => -10) }, 401, 'expired', 0],
    ['nbf 10 s ahead (no leeway)', 'b/c', sub { tk(nbf => 10, exp => 300) },
     401, 'not_yet_valid', 0],
    ['lifetime 11 m', 'b/c', sub { tk(iat => -100, life => 660) },
     401, 'lifetime_exceeded', 0],

    # /d/: leeway 20s, lifetime 1h inherited from http
    ['expired 25 s ago (beyond 20 s)', 'd',
     sub { tk(iat => -600, exp => -25) }, 401, 'expired', 0],
    ['expired 5 s ago (within 20 s)', 'd',
     sub { tk(iat => -600, exp => -5) }, 200, 'ok', 1],
    ['lifetime 50 m', 'd', sub { tk(iat => -100, life => 3000) },
     200, 'ok', 1],
    ['lifetime 2 h', 'd', sub { tk(iat => -100, life => 7200) },
     401, 'lifetime_exceeded', 0],
);

my $tests = 1;
$tests += $_->[3] == 401 ? 4 : 3 for @cases;
plan(tests => $tests);

for my $i (0 .. $#cases) {
    my ($name, $loc, $mk, $status) = @{$cases[$i]};
    my $r = $t->get("/$loc/$i", ticket => $mk->());
    is($r->{status}, $status, "/$loc/ $name: $status");
    if ($status == 401) {
        is($r->{headers}{'www-authenticate'},
           'Bearer realm="ticket", error="invalid_token"',
           "/$loc/ $name: invalid_token challenge");
    }
}

$t->stop;

my %log;
for my $line (split /\n/, $t->read_file('logs/t.log')) {
    my ($uri, $st, $why, $ver) = split / /, $line;
    $log{$1} = [$st, $why, $ver] if $uri =~ m{/(\d+)$};
}

for my $i (0 .. $#cases) {
    my ($name, $loc, undef, undef, $why, $ver) = @{$cases[$i]};
    my $l = $log{$i} // ['', '', ''];
    is($l->[1], $why, "/$loc/ $name: reason $why");
    is($l->[2], $ver, "/$loc/ $name: \$ticket_verified $ver");
}

$t->done;
