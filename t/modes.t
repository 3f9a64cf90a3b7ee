#!/usr/bin/perl
# Modes and nginx's phases: ticket_mode audit, ticket_preflight, satisfy
# any/all, return before the access phase, subrequests (SSI), error_page
# keeping the decision, internal redirects checked again.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 91);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $other = $t->keygen('ES256', 'k2');      # not configured

mkdir $t->dir . '/html';
mkdir $t->dir . '/html/ssi';
$t->write_file('html/ssi/page.shtml',
               "before <!--# include virtual=\"/protected/inc\" --> after\n");
$t->write_file('html/err.html', "custom error page\n");

$t->start(<<'EOF');
    log_format t '$http_x_case $status $ticket_decision $ticket_reason';
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/x.log t;
        root %%DIR%%/html;

        location /audit/ {
            ticket user;
            ticket_mode audit;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /audit-any/ {
            satisfy any;
            deny all;
            ticket user;
            ticket_mode audit;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /pre/ {
            ticket user;
            ticket_preflight pass;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /pre-check/ {
            ticket user;
            ticket_preflight check;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /any-allow/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /any-deny/ {
            satisfy any;
            deny all;
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /all-deny/ {
            satisfy all;
            deny all;
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /ret/ {
            ticket user;
            return 200 "returned\n";
        }

        location /ssi/ {
            ssi on;
            default_type text/html;
        }

        location /protected/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /service/ {
            ticket service;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /ep/ {
            ticket user;
            error_page 401 403 /err.html;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location = /err.html {
        }

        location /tf/ {
            try_files $uri /protected/tf;
        }

        location /rw/ {
            rewrite ^/rw/(.*)$ /protected/$1 last;
        }

        location /tf-user/ {
            ticket user;
            try_files $uri /service/tf;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        access_log off;
        location / {
            return 200 "backend $request_method $request_uri\n";
        }
    }
EOF

my $user = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user');
my $svc = $t->mint(key => $k->{key}, kid => 'k1', sub => 'billing',
                   kind => 'service');
my $bad = $t->mint(key => $other->{key}, kid => 'k1', sub => 'mallory',
                   kind => 'user');

my $missing = 'Bearer realm="ticket"';
my $invalid = 'Bearer realm="ticket", error="invalid_token"';
my $scope = 'Bearer realm="ticket", error="insufficient_scope"';

my %expect;

sub dechunk {
    my ($r) = @_;
    return $r->{body}
        unless ($r->{headers}{'transfer-encoding'} // '') =~ /chunked/i;
    my ($in, $out) = ($r->{body}, '');
    while ($in =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
        my $n = hex $1;
        last if $n == 0;
        $out .= substr($in, 0, $n, '');
        $in =~ s/\A\r\n//;
    }
    return $out;
}

# req(case, uri, ticket, method, [headers]) -> response; the access log
# line is found by the X-Case header
sub req {
    my ($c, $uri, $ticket, %o) = @_;
    return $t->get($uri, ticket => $ticket, method => $o{method},
                   headers => ['X-Case' => $c, @{$o{headers} // []}]);
}

# audit mode: refusals are proxied and recorded

my $r = req('audit-bad', '/audit/x', $bad);
is($r->{status}, 200, 'audit, bad signature: proxied');
like($r->{body}, qr/^backend GET \/audit\/x$/m, 'audit: backend answered');
is($r->{headers}{'www-authenticate'}, undef, 'audit: no challenge');
$expect{'audit-bad'} = '200 audit bad_signature';

$r = req('audit-missing', '/audit/x', undef);
is($r->{status}, 200, 'audit, no ticket: proxied');
$expect{'audit-missing'} = '200 audit missing';

$r = req('audit-kind', '/audit/x', $svc);
is($r->{status}, 200, 'audit, wrong kind: proxied');
$expect{'audit-kind'} = '200 audit wrong_kind';

$r = req('audit-ok', '/audit/x', $user);
is($r->{status}, 200, 'audit, valid: 200');
$expect{'audit-ok'} = '200 allow ok';

# audit never grants under satisfy any

$r = req('audit-any-bad', '/audit-any/x', $bad);
is($r->{status}, 403, 'audit + satisfy any + deny all, bad ticket: 403');
$expect{'audit-any-bad'} = '403 audit bad_signature';

$r = req('audit-any-ok', '/audit-any/x', $user);
is($r->{status}, 200, 'audit + satisfy any, valid ticket grants: 200');
$expect{'audit-any-ok'} = '200 allow ok';

# preflight

my @cors = (Origin => 'https://app.example',
            'Access-Control-Request-Method' => 'POST');

$r = req('pre-pass', '/pre/x', undef, method => 'OPTIONS',
         headers => \@cors);
is($r->{status}, 200, 'preflight pass: OPTIONS with Origin and ACRM: 200');
like($r->{body}, qr/^backend OPTIONS /m, 'preflight pass: proxied');
$expect{'pre-pass'} = '200  ';

$r = req('pre-origin', '/pre/x', undef, method => 'OPTIONS',
         headers => [Origin => 'https://app.example']);
is($r->{status}, 401, 'preflight pass: OPTIONS with only Origin: 401');
is($r->{headers}{'www-authenticate'}, $missing,
   'preflight pass, only Origin: challenge');
$expect{'pre-origin'} = '401 deny missing';

$r = req('pre-acrm', '/pre/x', undef, method => 'OPTIONS',
         headers => ['Access-Control-Request-Method' => 'POST']);
is($r->{status}, 401, 'preflight pass: OPTIONS with only ACRM: 401');
$expect{'pre-acrm'} = '401 deny missing';

$r = req('pre-get', '/pre/x', undef, headers => \@cors);
is($r->{status}, 401, 'preflight pass: GET with CORS headers: 401');
$expect{'pre-get'} = '401 deny missing';

$r = req('pre-bad', '/pre/x', $bad, method => 'OPTIONS', headers => \@cors);
is($r->{status}, 200, 'preflight pass: a ticket on a preflight is ignored');
$expect{'pre-bad'} = '200  ';

$r = req('pre-check', '/pre-check/x', undef, method => 'OPTIONS',
         headers => \@cors);
is($r->{status}, 401, 'preflight check: OPTIONS with CORS headers: 401');
is($r->{headers}{'www-authenticate'}, $missing,
   'preflight check: challenge');
$expect{'pre-check'} = '401 deny missing';

# satisfy

$r = req('any-allow-none', '/any-allow/x', undef);
is($r->{status}, 200, 'satisfy any + allow: no ticket passes');
is($r->{headers}{'www-authenticate'}, undef,
   'satisfy any + allow: no challenge on the 200');
$expect{'any-allow-none'} = '200 deny missing';

$r = req('any-allow-bad', '/any-allow/x', $bad);
is($r->{status}, 200, 'satisfy any + allow: bad ticket passes');
$expect{'any-allow-bad'} = '200 deny bad_signature';

$r = req('any-deny-ok', '/any-deny/x', $user);
is($r->{status}, 200, 'satisfy any + deny all: valid ticket grants');
$expect{'any-deny-ok'} = '200 allow ok';

$r = req('any-deny-none', '/any-deny/x', undef);
is($r->{status}, 401, 'satisfy any + deny all: no ticket 401');
is($r->{headers}{'www-authenticate'}, $missing,
   'satisfy any + deny all: challenge');
$expect{'any-deny-none'} = '401 deny missing';

$r = req('any-deny-kind', '/any-deny/x', $svc);
is($r->{status}, 403, 'satisfy any + deny all: wrong kind 403');
$expect{'any-deny-kind'} = '403 deny wrong_kind';

$r = req('all-deny-ok', '/all-deny/x', $user);
is($r->{status}, 403, 'satisfy all + deny all: valid ticket 403');
is($r->{headers}{'www-authenticate'}, undef,
   'satisfy all + deny all: no ticket challenge');
$expect{'all-deny-ok'} = '403 allow ok';

$r = req('all-deny-none', '/all-deny/x', undef);
ok($r->{status} == 401 || $r->{status} == 403,
   'satisfy all + deny all, no ticket: refused');
$expect{'all-deny-none'} = "$r->{status} deny missing";

# return runs before the access phase (README: documented)

$r = req('ret-none', '/ret/x', undef);
is($r->{status}, 200, 'return 200 in a protected location: no check');
is($r->{body}, "returned\n", 'return 200: its body');
$expect{'ret-none'} = '200  ';

# subrequests skip the access phase (README: documented)

$r = req('ssi', '/ssi/page.shtml', undef);
is($r->{status}, 200, 'SSI page without ticket: 200');
like(dechunk($r), qr/^before backend GET \/protected\/inc\n after$/m,
     'SSI include of a protected location is answered without a check');
$expect{'ssi'} = '200  ';

$r = req('direct', '/protected/inc', undef);
is($r->{status}, 401, 'the included location itself: 401 without ticket');
$expect{'direct'} = '401 deny missing';

# error_page: the decision survives the internal redirect

$r = req('ep-missing', '/ep/x', undef);
is($r->{status}, 401, 'error_page, no ticket: 401');
is($r->{body}, "custom error page\n", 'error_page, no ticket: custom page');
$expect{'ep-missing'} = '401 deny missing';

$r = req('ep-bad', '/ep/x', $bad);
is($r->{status}, 401, 'error_page, bad signature: 401');
is($r->{body}, "custom error page\n", 'error_page, bad: custom page');
unlike($r->{raw}, qr/\Q$bad\E/, 'error_page: ticket not echoed');
$expect{'ep-bad'} = '401 deny bad_signature';

$r = req('ep-kind', '/ep/x', $svc);
is($r->{status}, 403, 'error_page, wrong kind: 403');
$expect{'ep-kind'} = '403 deny wrong_kind';

$r = req('ep-ok', '/ep/x', $user);
is($r->{status}, 200, 'error_page location, valid: 200');
$expect{'ep-ok'} = '200 allow ok';

# internal redirects into a protected location are checked there

$r = req('tf-none', '/tf/x', undef);
is($r->{status}, 401, 'try_files into protected, no ticket: 401');
is($r->{headers}{'www-authenticate'}, $missing, 'try_files: challenge');
$expect{'tf-none'} = '401 deny missing';

$r = req('tf-ok', '/tf/x', $user);
is($r->{status}, 200, 'try_files into protected, valid: 200');
like($r->{body}, qr/^backend GET \/protected\/tf$/m,
     'try_files: protected location answered');
$expect{'tf-ok'} = '200 allow ok';

$r = req('tf-bad', '/tf/x', $bad);
is($r->{status}, 401, 'try_files into protected, bad: 401');
$expect{'tf-bad'} = '401 deny bad_signature';

$r = req('rw-none', '/rw/x', undef);
is($r->{status}, 401, 'rewrite last into protected, no ticket: 401');
$expect{'rw-none'} = '401 deny missing';

$r = req('rw-ok', '/rw/x', $user);
is($r->{status}, 200, 'rewrite last into protected, valid: 200');
$expect{'rw-ok'} = '200 allow ok';

$r = req('rw-kind', '/rw/x', $svc);
is($r->{status}, 403, 'rewrite last into protected, wrong kind: 403');
is($r->{headers}{'www-authenticate'}, $scope, 'rewrite: insufficient_scope');
$expect{'rw-kind'} = '403 deny wrong_kind';

$r = req('tf-user-user', '/tf-user/x', $user);
is($r->{status}, 403,
   'user location redirecting into a service location: checked again, 403');
is($r->{headers}{'www-authenticate'}, $scope,
   'checked again: insufficient_scope');
$expect{'tf-user-user'} = '403 deny wrong_kind';

$r = req('tf-user-svc', '/tf-user/x', $svc);
is($r->{status}, 403, 'service ticket stopped at the user location');
$expect{'tf-user-svc'} = '403 deny wrong_kind';

$t->stop;

my %log;
for my $line (split /\n/, $t->read_file('logs/x.log')) {
    my ($c, $rest) = split / /, $line, 2;
    $log{$c} = $rest;
}

for my $c (sort keys %expect) {
    is($log{$c}, $expect{$c}, "log $c: $expect{$c}");
}

my $err = $t->error_log;
like($err, qr/ticket audited: bad_signature, sub "mallory", jti "\w+", verified 0/,
     'error log: audited bad_signature');
like($err, qr/ticket audited: missing/, 'error log: audited missing');
like($err, qr/ticket audited: wrong_kind, sub "billing"/,
     'error log: audited wrong_kind with sub');
like($err, qr/ticket denied: bad_signature/, 'error log: denied');
is_deeply([grep { /ticket denied.*while logging request/ } split /\n/, $err],
          [], 'error log: no refusal recorded, at the log phase, for a '
              . 'request nothing checked (preflight pass, return)');

$t->done;
