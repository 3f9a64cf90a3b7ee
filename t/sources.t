#!/usr/bin/perl
# ticket_token: header, cookie and argument sources; tickets in two of
# them are malformed (t/sources_two.t has more); the Authorization
# header's Bearer scheme (case-insensitive, empty is malformed, other
# schemes are no ticket).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 103);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $other = $t->keygen('ES256', 'k2');      # not configured

$t->start(<<'EOF');
    log_format t '$arg_c $status $ticket_decision $ticket_reason $ticket_sub';
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/x.log t;

        location /s/ {
            ticket any;
            ticket_token header:X-Ticket cookie:tk arg:t;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /mixed/ {
            ticket any;
            ticket_token header:Authorization cookie:tk;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /default/ {
            ticket any;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        access_log off;
        location / {
            return 200 "backend\n";
        }
    }
EOF

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user');
my $bad = $t->mint(key => $other->{key}, kid => 'k1', sub => 'mallory',
                   kind => 'user');

my $missing = 'Bearer realm="ticket"';
my $invalid = 'Bearer realm="ticket", error="invalid_token"';

my @cases;

# case(name, uri, [headers], status, reason, sub): two tests now, one later
sub case {
    my ($name, $uri, $hdrs, $status, $reason, $sub) = @_;
    my $sep = $uri =~ /\?/ ? '&' : '?';
    my $r = $t->get("$uri${sep}c=$name", headers => $hdrs);
    is($r->{status}, $status, "$name: $status");
    my $www = $status == 200 ? undef
            : $reason eq 'missing' ? $missing : $invalid;
    is($r->{headers}{'www-authenticate'}, $www,
       "$name: WWW-Authenticate " . ($www // 'absent'));
    my $decision = $status == 200 ? 'allow' : 'deny';
    push @cases, [$name, "$status $decision $reason " . ($sub // '-')];
}

# each source alone

case('header', '/s/x', ['X-Ticket' => $good], 200, 'ok', 'alice');
case('header-lc', '/s/x', ['x-ticket' => $good], 200, 'ok', 'alice');
case('cookie', '/s/x', [Cookie => "tk=$good"], 200, 'ok', 'alice');
case('cookie-among', '/s/x', [Cookie => "a=1; tk=$good; b=2"], 200, 'ok',
     'alice');
case('cookie-suffix', '/s/x', [Cookie => "xtk=garbage; tk=$good"], 200,
     'ok', 'alice');
case('cookie-second-line', '/s/x',
     [Cookie => 'a=1', Cookie => "tk=$good"], 200, 'ok', 'alice');
case('arg', "/s/x?t=$good", [], 200, 'ok', 'alice');
case('arg-among', "/s/x?a=1&t=$good&b=2", [], 200, 'ok', 'alice');
case('none', '/s/x', [], 401, 'missing');
case('authorization-not-a-source', '/s/x',
     [Authorization => "Bearer $good"], 401, 'missing');
case('cookie-other-name', '/s/x', [Cookie => "tkx=$good; xtk=$good"], 401,
     'missing');
case('arg-other-name', "/s/x?tt=$good", [], 401, 'missing');

# tickets in two sources: malformed, never "first found wins"

case('bad-header-good-cookie', '/s/x',
     ['X-Ticket' => $bad, Cookie => "tk=$good"], 401, 'malformed');
case('good-header-bad-cookie', '/s/x',
     ['X-Ticket' => $good, Cookie => "tk=$bad"], 401, 'malformed');
case('bad-cookie-good-arg', "/s/x?t=$good", [Cookie => "tk=$bad"], 401,
     'malformed');
case('garbage-header-good-arg', "/s/x?t=$good", ['X-Ticket' => 'a.b.c'],
     401, 'malformed');
case('empty-cookie-good-arg', "/s/x?t=$good", [Cookie => 'tk='], 200, 'ok',
     'alice');
case('empty-arg', '/s/x?t=', [], 401, 'missing');

# Authorization: Bearer

case('bearer', '/default/x', [Authorization => "Bearer $good"], 200, 'ok',
     'alice');
case('bearer-lc', '/default/x', [Authorization => "bearer $good"], 200, 'ok',
     'alice');
case('bearer-uc', '/default/x', [Authorization => "BEARER $good"], 200, 'ok',
     'alice');
case('bearer-mixed', '/default/x', [authorization => "BeArEr $good"], 200,
     'ok', 'alice');
case('bearer-empty', '/default/x', [Authorization => 'Bearer'], 401,
     'malformed');
case('bearer-spaces', '/default/x', [Authorization => 'Bearer    '], 401,
     'malformed');
case('bearer-bad', '/default/x', [Authorization => "Bearer $bad"], 401,
     'bad_signature');
case('basic', '/default/x', [Authorization => 'Basic dXNlcjpwYXNz'], 401,
     'missing');
case('bearer-glued', '/default/x', [Authorization => "Bearer$good"], 401,
     'missing');
case('other-scheme', '/default/x', [Authorization => "Token $good"], 401,
     'missing');
case('default-no-cookie', '/default/x', [Cookie => "tk=$good"], 401,
     'missing');

# header:Authorization among other sources

case('mixed-basic-cookie', '/mixed/x',
     [Authorization => 'Basic dXNlcjpwYXNz', Cookie => "tk=$good"], 200, 'ok',
     'alice');
case('mixed-bearer-empty-cookie', '/mixed/x',
     [Authorization => 'Bearer', Cookie => "tk=$good"], 401, 'malformed');
case('mixed-bearer-bad-cookie', '/mixed/x',
     [Authorization => "Bearer $bad", Cookie => "tk=$good"], 401,
     'malformed');
case('mixed-cookie', '/mixed/x', [Cookie => "tk=$good"], 200, 'ok',
     'alice');

# the body of a refusal never echoes the ticket, whatever its source
my $r = $t->get("/s/x?c=echo&t=$bad");
is($r->{status}, 401, 'arg ticket refused: 401');
unlike($r->{body}, qr/\Q$bad\E/, 'arg ticket refused: body does not echo it');
push @cases, ['echo', '401 deny bad_signature -'];

$t->stop;

my %log;
for my $line (split /\n/, $t->read_file('logs/x.log')) {
    my ($c, $rest) = split / /, $line, 2;
    $log{$c} = $rest;
}

for my $c (@cases) {
    is($log{$c->[0]}, $c->[1], "log $c->[0]: $c->[1]");
}

$t->done;
